"""customers.erased_at: a customer erased on request

Plain ADD/DROP COLUMN, not a batch: on SQLite a batch copies the table and cannot carry
the expression index on lower(name) (ix_customers_company_kind_name, 9c41d2e7a5b8).

Revision ID: b7e4c2a91d05
Revises: c5a8e2f1d370
Create Date: 2026-12-04 18:30:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "b7e4c2a91d05"
down_revision = "c5a8e2f1d370"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("customers", sa.Column("erased_at", sa.DateTime(), nullable=True))


def downgrade():
    op.drop_column("customers", "erased_at")
