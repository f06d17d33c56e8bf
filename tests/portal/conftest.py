import re

import pytest

from fieldportal.models import OutboxEmail
from fieldportal.services.mail.outbox_secrets import reveal


@pytest.fixture
def fleet(create, company):
    return create.fleet(company, vehicles=2, name="Metro Couriers")


@pytest.fixture
def contact(create, fleet):
    return create.contact(
        fleet, name="Frank Delgado", email="frank@metro.example", phone="+1 312 555 0199"
    )


def link_token_from_outbox(db, to_address: str) -> str:
    email = db.session.scalars(
        db.select(OutboxEmail)
        .where(OutboxEmail.to_address == to_address)
        .order_by(OutboxEmail.id.desc())
    ).first()
    assert email is not None, f"no email to {to_address}"
    text, _ = reveal(email)
    match = re.search(r"/link/([A-Za-z0-9_\-]{43})", text)
    assert match, text
    return match.group(1)
