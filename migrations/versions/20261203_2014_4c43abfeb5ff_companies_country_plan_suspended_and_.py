"""companies: country, plan, suspended and live

Adds what sign-up and the platform admins need: the country (ISO 3166-1 alpha-2, taken
from the locale of existing companies: en_GB becomes GB, anything else US), the plan
(existing companies keep their portal: Pro), suspended_at, and live_at (when the company
went live; existing companies went live when they were created).

Revision ID: 4c43abfeb5ff
Revises: 4982d1971ed4
Create Date: 2026-12-03 20:14:31.044175

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4c43abfeb5ff'
down_revision = '4982d1971ed4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('country', sa.String(length=2), nullable=False, server_default='US')
        )
        batch_op.add_column(
            sa.Column(
                'plan',
                sa.Enum(
                    'free', 'pro', name='plan', native_enum=False, create_constraint=True,
                    length=24,
                ),
                nullable=False,
                server_default='pro',
            )
        )
        batch_op.add_column(sa.Column('suspended_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('live_at', sa.DateTime(), nullable=True))

    op.execute(sa.text(
        "UPDATE companies SET country = upper(substr(locale, 4, 2)) "
        "WHERE length(locale) = 5 AND substr(locale, 3, 1) = '_'"
    ))
    op.execute(sa.text('UPDATE companies SET live_at = created_at'))

    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.alter_column('country', server_default=None, existing_type=sa.String(length=2))
        batch_op.alter_column(
            'plan',
            server_default=None,
            existing_type=sa.Enum(
                'free', 'pro', name='plan', native_enum=False, create_constraint=True, length=24
            ),
        )
        batch_op.create_check_constraint(
            op.f('ck_companies_country_code'), 'length(country) = 2 AND upper(country) = country'
        )


def downgrade():
    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_companies_country_code'), type_='check')
        # Explicitly: SQLite would keep the CHECK and read "plan" as a string literal.
        batch_op.drop_constraint(op.f('ck_companies_plan'), type_='check')
        batch_op.drop_column('live_at')
        batch_op.drop_column('suspended_at')
        batch_op.drop_column('plan')
        batch_op.drop_column('country')
