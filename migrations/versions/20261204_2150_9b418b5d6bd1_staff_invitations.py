"""staff invitations: staff_users.invited_at, setup_links.purpose may be staff_invite

An owner invites a person by email with a role: the account exists (inactive, with a
password nobody knows) from the invitation on, staff_users.invited_at says when it was sent
until the person accepts it, and the 7-day single-use link is a setup link like the others
(SHA-256 of the token only). Downgrade deletes the invitations never accepted (their
accounts were never used) and their links.

Revision ID: 9b418b5d6bd1
Revises: 3f6b2a9c1d4e
Create Date: 2026-12-04 18:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9b418b5d6bd1'
down_revision = '3f6b2a9c1d4e'
branch_labels = None
depends_on = None

BEFORE = ('confirm_signup', 'owner_password', 'password_reset')
AFTER = BEFORE + ('staff_invite',)


def _allow(purposes):
    listed = ', '.join(f"'{purpose}'" for purpose in purposes)
    with op.batch_alter_table('setup_links', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_setup_links_setup_purpose'), type_='check')
        batch_op.create_check_constraint(op.f('ck_setup_links_setup_purpose'), f'purpose IN ({listed})')


def upgrade():
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('invited_at', sa.DateTime(), nullable=True))
    _allow(AFTER)


def downgrade():
    op.execute(sa.text("DELETE FROM setup_links WHERE purpose = 'staff_invite'"))
    op.execute(sa.text("DELETE FROM staff_users WHERE invited_at IS NOT NULL"))
    _allow(BEFORE)
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.drop_column('invited_at')
