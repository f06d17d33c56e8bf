"""onboarding checklist: companies.onboarding_dismissed_at and portal_reviewed_at

The home page shows a new company what is left to set up until every step is done or the
owner dismisses it; whether the portal settings were chosen is the one step no other data
tells, so the settings form notes when it was saved. Existing companies start with both
NULL (the checklist ticks what their data already shows).

Revision ID: a956bf37c080
Revises: 9b418b5d6bd1
Create Date: 2026-12-04 18:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a956bf37c080'
down_revision = '9b418b5d6bd1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('onboarding_dismissed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('portal_reviewed_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.drop_column('portal_reviewed_at')
        batch_op.drop_column('onboarding_dismissed_at')
