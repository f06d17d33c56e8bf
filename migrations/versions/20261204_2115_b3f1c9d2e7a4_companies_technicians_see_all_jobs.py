"""companies.technicians_see_all_jobs: what a technician's My day lists

Off (their own jobs of the day) for every existing company; the database default stays,
so a row written without the column (an older script) is off too.

Revision ID: b3f1c9d2e7a4
Revises: 9c41d2e7a5b8
Create Date: 2026-12-04 21:15:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b3f1c9d2e7a4'
down_revision = '9c41d2e7a5b8'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'technicians_see_all_jobs', sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )


def downgrade():
    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.drop_column('technicians_see_all_jobs')
