"""tax rates in parts per million (8.875 % = 88,750) instead of basis points

Renames tax_rate_bp to tax_rate_ppm on companies, quotes and invoices, multiplies the
stored rates by 100 (825 bp = 8.25 % becomes 82,500 ppm) and replaces the CHECK
constraints (0..10,000 becomes 0..1,000,000). Batch mode rebuilds the tables on SQLite;
env.py switches SQLite's foreign keys off while it does (a rebuilt companies table would
otherwise cascade-delete every row that refers to it) and checks them afterwards.

Revision ID: 5b1f0c8e2a47
Revises: e2b8bb4cde26
Create Date: 2026-12-02 08:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b1f0c8e2a47'
down_revision = 'e2b8bb4cde26'
branch_labels = None
depends_on = None

TABLES = ('companies', 'quotes', 'invoices')


def _convert(old, new, factor, maximum):
    for table in TABLES:
        name = op.f(f'ck_{table}_tax_rate_range')
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(name, type_='check')
            batch_op.alter_column(
                old, new_column_name=new, existing_type=sa.Integer(), existing_nullable=False
            )
        if factor > 1:
            op.execute(sa.text(f'UPDATE {table} SET {new} = {new} * {factor}'))
        else:  # downgrade: a rate finer than a basis point rounds half up
            op.execute(sa.text(f'UPDATE {table} SET {new} = ({new} + 50) / 100'))
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_check_constraint(name, f'{new} >= 0 AND {new} <= {maximum}')


def upgrade():
    _convert('tax_rate_bp', 'tax_rate_ppm', 100, 1000000)


def downgrade():
    _convert('tax_rate_ppm', 'tax_rate_bp', 1, 10000)
