"""setup links: sign-up confirmation and first owner password

Revision ID: 6a25be22e660
Revises: 5cd0489ace0c
Create Date: 2026-12-03 23:04:58.290679

Single-use links (SHA-256 of the token only) that confirm a self-serve sign-up or let the
first owner of a company made by flask create-company choose a password.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6a25be22e660'
down_revision = '5cd0489ace0c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('setup_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.Enum('confirm_signup', 'owner_password', name='setup_purpose', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('staff_user_id', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.Column('invalidated_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_setup_links_company_id_companies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_user_id'], ['staff_users.id'], name=op.f('fk_setup_links_staff_user_id_staff_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_setup_links')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_setup_links_token_hash'))
    )
    with op.batch_alter_table('setup_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_setup_links_company_id'), ['company_id'], unique=False)
        batch_op.create_index('ix_setup_links_staff_purpose', ['staff_user_id', 'purpose'], unique=False)



def downgrade():
    with op.batch_alter_table('setup_links', schema=None) as batch_op:
        batch_op.drop_index('ix_setup_links_staff_purpose')
        batch_op.drop_index(batch_op.f('ix_setup_links_company_id'))

    op.drop_table('setup_links')
