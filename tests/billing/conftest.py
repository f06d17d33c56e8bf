"""Billing fixtures: a customer with a contact, line builders."""

from decimal import Decimal

import pytest

from fieldportal.services.billing import LineInput


def line(description="Labour", quantity="1", unit_price_cents=10_000, taxable=True):
    return LineInput(description, Decimal(quantity), unit_price_cents, taxable)


@pytest.fixture
def customer(company, create):
    customer = create.customer(company, name="Harbor Bakery")
    create.contact(customer, name="Hana Baker", email="hana@bakery.test")
    return customer
