"""Billing fixtures: a customer with a contact, line builders."""

from decimal import Decimal

import pytest

from fieldportal.services.billing.money import LineInput


def line(description="Labour", quantity="1", unit_price_cents=10_000, taxable=True):
    return LineInput(description, Decimal(quantity), unit_price_cents, taxable)


@pytest.fixture
def customer(company, create):
    customer = create.customer(company, name="Harbor Bakery")
    create.contact(customer, name="Hana Baker", email="hana@bakery.test")
    return customer


@pytest.fixture(scope="session")
def stripe_standin():
    from .stripe_standin import StripeStandIn

    standin = StripeStandIn().start()
    yield standin
    standin.stop()


@pytest.fixture
def stripe_on(app, monkeypatch, stripe_standin):
    """Online payments configured against the stand-in Stripe API."""
    from .stripe_standin import WEBHOOK_SECRET

    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "sk_test_standin")
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", stripe_standin.url)
    return stripe_standin


@pytest.fixture(autouse=True)
def _fresh_pdf_cache(app, monkeypatch, tmp_path):
    """Each test renders into its own PDF cache folder."""
    monkeypatch.setitem(app.config, "PDF_CACHE_FOLDER", str(tmp_path / "pdf-cache"))
