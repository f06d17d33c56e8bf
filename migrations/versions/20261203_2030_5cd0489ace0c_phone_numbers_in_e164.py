"""phone numbers in E.164: companies, customers and contacts

A data migration, no schema change. Every phone that is a valid number when read in its
company's country (companies.country, added by the revision before) is rewritten in
E.164: "(312) 555-0199" -> "+13125550199". What cannot be read that way (too short, letters, an extension, a number of no country) is kept exactly as
typed: dropping it would lose what staff wrote, and guessing would invent a number. Such a
value is shown as typed, matches no PIN sign-in, and must be corrected the next time its
record is edited (the forms accept valid numbers only).

Contacts' phones are unique per company. When two contacts of one company hold the same
number written two ways, the one whose value already was E.164 keeps it, else the oldest
contact (lowest id); the other keeps its value as typed, so no row is merged or lost.

Downgrade changes nothing: an E.164 number is a valid phone text for the older code too,
and the form it was typed in is not kept.

Revision ID: 5cd0489ace0c
Revises: 4c43abfeb5ff
Create Date: 2026-12-03 20:30:00.000000

"""
from alembic import op
import phonenumbers
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5cd0489ace0c'
down_revision = '4c43abfeb5ff'
branch_labels = None
depends_on = None


def _e164(text, region):
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if number.extension or not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _rewrite(connection, table, rows, region, unique=False):
    """Rewrite (id, phone) rows of one company; with ``unique``, no two rows end equal."""
    targets = {row_id: _e164(phone, region) for row_id, phone in rows}
    taken = {phone for row_id, phone in rows if targets[row_id] == phone} if unique else set()
    for row_id, phone in rows:
        target = targets[row_id]
        if target is None or target == phone:
            continue
        if unique and target in taken:
            continue
        taken.add(target)
        connection.execute(
            sa.text(f'UPDATE {table} SET phone = :phone WHERE id = :id'),
            {'phone': target, 'id': row_id},
        )


def upgrade():
    connection = op.get_bind()
    companies = connection.execute(sa.text('SELECT id, country, phone FROM companies')).all()
    for company_id, region, phone in companies:
        if phone:
            _rewrite(connection, 'companies', [(company_id, phone)], region)
        for table, unique in (('customers', False), ('contacts', True)):
            rows = connection.execute(
                sa.text(
                    f'SELECT id, phone FROM {table} '
                    'WHERE company_id = :company AND phone IS NOT NULL ORDER BY id'
                ),
                {'company': company_id},
            ).all()
            _rewrite(connection, table, [tuple(row) for row in rows], region, unique)


def downgrade():
    pass
