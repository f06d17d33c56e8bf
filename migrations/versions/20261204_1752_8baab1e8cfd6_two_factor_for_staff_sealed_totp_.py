"""two-factor for staff: sealed TOTP secrets, recovery codes, company policy

Staff accounts get a sealed TOTP secret, when two-factor was turned on and the time step of
the last accepted code (a code is refused when reused); recovery codes are kept hashed, one
row each; companies get the policy of who must use two-factor (existing companies: off).

Revision ID: 8baab1e8cfd6
Revises: b3e71c2d9f04
Create Date: 2026-12-04 17:52:54.882614

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8baab1e8cfd6'
down_revision = 'b3e71c2d9f04'
branch_labels = None
depends_on = None

POLICY = sa.Enum(
    'off', 'owners', 'all', name='two_factor_policy', native_enum=False, create_constraint=True,
    length=24,
)


def upgrade():
    op.create_table('staff_recovery_codes',
    sa.Column('staff_user_id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_staff_recovery_codes_company_id_companies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_user_id'], ['staff_users.id'], name=op.f('fk_staff_recovery_codes_staff_user_id_staff_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_recovery_codes')),
    sa.UniqueConstraint('staff_user_id', 'code_hash', name=op.f('uq_staff_recovery_codes_staff_user_id_code_hash'))
    )
    with op.batch_alter_table('staff_recovery_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_recovery_codes_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_staff_recovery_codes_staff_user_id'), ['staff_user_id'], unique=False)

    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('two_factor_required', POLICY, nullable=False, server_default='off')
        )
    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.alter_column('two_factor_required', server_default=None, existing_type=POLICY)

    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_secret_sealed', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('two_factor_enabled_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))



def downgrade():
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('two_factor_enabled_at')
        batch_op.drop_column('totp_secret_sealed')

    with op.batch_alter_table('companies', schema=None) as batch_op:
        # Explicitly: SQLite would keep the CHECK naming the dropped column.
        batch_op.drop_constraint(op.f('ck_companies_two_factor_policy'), type_='check')
        batch_op.drop_column('two_factor_required')

    with op.batch_alter_table('staff_recovery_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_recovery_codes_staff_user_id'))
        batch_op.drop_index(batch_op.f('ix_staff_recovery_codes_company_id'))

    op.drop_table('staff_recovery_codes')
