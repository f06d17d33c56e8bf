"""staff lockout counter named as contacts': staff_users.failed_logins -> failed_attempts

Staff and contacts share one lockout rule (services/auth/lockout.py), which reads the same
two columns on both: failed_attempts and locked_until. The values are kept.

Revision ID: 7c2e5a1f9b30
Revises: 6a25be22e660
Create Date: 2026-12-04 06:25:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '7c2e5a1f9b30'
down_revision = '6a25be22e660'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.alter_column('failed_logins', new_column_name='failed_attempts')


def downgrade():
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.alter_column('failed_attempts', new_column_name='failed_logins')
