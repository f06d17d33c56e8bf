"""service-due digest kind: reminder_settings, sent_reminders and email_opt_outs may hold
service_due_digest

The weekly digest for fleet managers shares the reminders' company switch, exactly-once
key (kind, contact, the week's start) and per-address opt-out. Downgrade deletes its rows.

Revision ID: c5a8e2f1d370
Revises: a956bf37c080
Create Date: 2026-12-04 22:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c5a8e2f1d370'
down_revision = 'a956bf37c080'
branch_labels = None
depends_on = None

TABLES = ('reminder_settings', 'sent_reminders', 'email_opt_outs')
BEFORE = (
    'appointment', 'invoice_overdue', 'quote_follow_up', 'request_received', 'on_my_way',
    'job_completed',
)
AFTER = BEFORE + ('service_due_digest',)


def _allow(kinds):
    listed = ', '.join(f"'{kind}'" for kind in kinds)
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f'ck_{table}_kind'), type_='check')
            batch_op.create_check_constraint(op.f(f'ck_{table}_kind'), f'kind IN ({listed})')


def upgrade():
    _allow(AFTER)


def downgrade():
    for table in TABLES:
        op.execute(sa.text(f"DELETE FROM {table} WHERE kind = 'service_due_digest'"))
    _allow(BEFORE)
