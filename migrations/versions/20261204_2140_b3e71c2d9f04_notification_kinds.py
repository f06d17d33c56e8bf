"""notification kinds: reminder_settings, sent_reminders and email_opt_outs may hold
request_received, on_my_way and job_completed

Notifications (sent when something happens) share the reminders' company switch, their
exactly-once key and the per-address opt-out; the CHECK of each kind column lists the new
values. Downgrade deletes the rows of the new kinds first.

Revision ID: b3e71c2d9f04
Revises: b3f1c9d2e7a4
Create Date: 2026-12-04 21:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b3e71c2d9f04'
down_revision = 'b3f1c9d2e7a4'
branch_labels = None
depends_on = None

TABLES = ('reminder_settings', 'sent_reminders', 'email_opt_outs')
BEFORE = ('appointment', 'invoice_overdue', 'quote_follow_up')
NEW = ('request_received', 'on_my_way', 'job_completed')


def _allow(kinds):
    listed = ', '.join(f"'{kind}'" for kind in kinds)
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f'ck_{table}_kind'), type_='check')
            batch_op.create_check_constraint(op.f(f'ck_{table}_kind'), f'kind IN ({listed})')


def upgrade():
    _allow(BEFORE + NEW)


def downgrade():
    listed = ', '.join(f"'{kind}'" for kind in NEW)
    for table in TABLES:
        op.execute(sa.text(f"DELETE FROM {table} WHERE kind IN ({listed})"))
    _allow(BEFORE)
