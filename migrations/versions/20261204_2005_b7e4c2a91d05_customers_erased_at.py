"""customers.erased_at: a customer erased on request

Revision ID: b7e4c2a91d05
Revises: ed75162a656f
Create Date: 2026-12-04 18:30:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "b7e4c2a91d05"
down_revision = "ed75162a656f"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("erased_at")
