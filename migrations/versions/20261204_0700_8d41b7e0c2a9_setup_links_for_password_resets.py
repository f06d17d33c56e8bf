"""setup links for password resets: setup_links.purpose may be password_reset

A staff member who forgot their password gets a 30-minute single-use link, kept like the
other setup links (SHA-256 of the token only). The CHECK of the purpose lists the new
value; downgrade deletes the reset links first (they last 30 minutes anyway).

Revision ID: 8d41b7e0c2a9
Revises: 7c2e5a1f9b30
Create Date: 2026-12-04 07:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8d41b7e0c2a9'
down_revision = '7c2e5a1f9b30'
branch_labels = None
depends_on = None

BEFORE = ('confirm_signup', 'owner_password')
AFTER = BEFORE + ('password_reset',)


def _allow(purposes):
    listed = ', '.join(f"'{purpose}'" for purpose in purposes)
    with op.batch_alter_table('setup_links', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_setup_links_setup_purpose'), type_='check')
        batch_op.create_check_constraint(op.f('ck_setup_links_setup_purpose'), f'purpose IN ({listed})')


def upgrade():
    _allow(AFTER)


def downgrade():
    op.execute(sa.text("DELETE FROM setup_links WHERE purpose = 'password_reset'"))
    _allow(BEFORE)
