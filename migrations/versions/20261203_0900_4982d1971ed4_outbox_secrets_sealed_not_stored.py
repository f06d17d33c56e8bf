"""outbox: secrets sealed (encrypted until sent or expired), never stored in the bodies

Revision ID: 4982d1971ed4
Revises: 5b1f0c8e2a47
Create Date: 2026-12-03 09:00:00

The bodies of existing messages that carried a secret are replaced by their "as shown"
copies, with each placeholder turned into a marker whose secret is gone: those messages
can no longer be sent (Retry says where to send a new one), and unsent ones are failed.
Downgrade cannot bring the secrets back.
"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4982d1971ed4'
down_revision = '5b1f0c8e2a47'
branch_labels = None
depends_on = None

PLACEHOLDERS = {
    '[sign-in link hidden]': 'sign_in_link',
    '[portal link hidden]': 'portal_link',
    '[temporary password hidden]': 'temporary_password',
    '[PIN hidden]': 'pin',
}
GONE = 'not sent: its secret was removed when the outbox stopped storing secrets; send a new one'


def _with_markers(text, markers):
    for placeholder, marker in markers.items():
        text = text.replace(placeholder, marker)
    return text


def upgrade():
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('secrets_ciphertext', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('secrets_expire_at', sa.DateTime(), nullable=True))
        batch_op.create_index(
            batch_op.f('ix_outbox_emails_secrets_expire_at'), ['secrets_expire_at'], unique=False
        )

    outbox = sa.table(
        'outbox_emails',
        sa.column('id', sa.Integer),
        sa.column('status', sa.String),
        sa.column('last_error', sa.Text),
        sa.column('text_body', sa.Text),
        sa.column('html_body', sa.Text),
        sa.column('shown_text_body', sa.Text),
        sa.column('shown_html_body', sa.Text),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(outbox.c.id, outbox.c.shown_text_body, outbox.c.shown_html_body).where(
            outbox.c.shown_text_body.is_not(None)
        )
    ).all()
    for row in rows:
        markers = {
            placeholder: f'fp-secret-{kind}-{secrets.token_hex(16)}'
            for placeholder, kind in PLACEHOLDERS.items()
        }
        connection.execute(
            outbox.update()
            .where(outbox.c.id == row.id)
            .values(
                text_body=_with_markers(row.shown_text_body, markers),
                html_body=row.shown_html_body and _with_markers(row.shown_html_body, markers),
            )
        )
    connection.execute(
        outbox.update()
        .where(outbox.c.shown_text_body.is_not(None), outbox.c.status != 'sent')
        .values(status='failed', last_error=GONE)
    )

    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.drop_column('shown_html_body')
        batch_op.drop_column('shown_text_body')


def downgrade():
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shown_text_body', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('shown_html_body', sa.Text(), nullable=True))
        batch_op.drop_index(batch_op.f('ix_outbox_emails_secrets_expire_at'))
        batch_op.drop_column('secrets_expire_at')
        batch_op.drop_column('secrets_ciphertext')
