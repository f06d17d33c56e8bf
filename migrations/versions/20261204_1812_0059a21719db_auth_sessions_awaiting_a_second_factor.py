"""auth sessions awaiting a second factor

A staff sign-in whose password was right but whose two-factor code (or enrolment, when the
company requires it) is still to come is kept as an auth_sessions row with ``awaiting`` set;
the user loader accepts no such row as a session. Existing rows are full sessions (NULL).

Revision ID: 0059a21719db
Revises: 8baab1e8cfd6
Create Date: 2026-12-04 18:12:05.938284

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0059a21719db'
down_revision = '8baab1e8cfd6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('auth_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('awaiting', sa.Enum('code', 'enrol', name='sign_in_step', native_enum=False, create_constraint=True, length=24), nullable=True))



def downgrade():
    with op.batch_alter_table('auth_sessions', schema=None) as batch_op:
        # Explicitly: SQLite would keep the CHECK naming the dropped column.
        batch_op.drop_constraint(op.f('ck_auth_sessions_sign_in_step'), type_='check')
        batch_op.drop_column('awaiting')

