"""What a country proposes for a new company, and the company columns sign-up needs."""

import pytest
from sqlalchemy.exc import DataError, IntegrityError

from fieldportal.models import Plan
from fieldportal.services.companies import countries


@pytest.mark.parametrize(
    ("country", "time_zone", "currency", "locale"),
    [
        ("GB", "Europe/London", "GBP", "en_GB"),
        ("US", "America/New_York", "USD", "en_US"),  # not Adak, CLDR's first US zone
        ("DE", "Europe/Berlin", "EUR", "en_DE"),
        ("AU", "Australia/Sydney", "AUD", "en_AU"),
        ("CH", "Europe/Zurich", "CHF", "en_CH"),
        ("JP", "Asia/Tokyo", "JPY", "en_US"),  # no English locale of Japan: American
        ("AQ", "Antarctica/McMurdo", "USD", "en_US"),  # no currency of its own
    ],
)
def test_a_country_proposes_its_time_zone_currency_and_locale(country, time_zone, currency, locale):
    proposal = countries.proposal_for(country)
    assert (proposal.time_zone, proposal.currency, proposal.locale) == (time_zone, currency, locale)
    assert proposal.zones[0] == time_zone
    assert all(countries.is_time_zone(zone) for zone in proposal.zones)


def test_every_country_has_a_usable_proposal():
    codes = [code for code, _ in countries.countries()]
    assert len(codes) == len(set(codes)) > 240
    for code in codes:
        proposal = countries.proposal_for(code)
        assert countries.is_time_zone(proposal.time_zone), code
        assert countries.is_currency(proposal.currency), code
    assert "ZZ" not in codes and "001" not in codes
    names = [name for _, name in countries.countries()]
    assert names.index("Åland Islands") < names.index("Albania")  # sorted as people read


def test_the_united_states_offer_their_own_zones_first():
    zones = countries.proposal_for("US").zones
    assert zones[0] == "America/New_York"
    assert {"America/Chicago", "America/Los_Angeles", "Pacific/Honolulu"} <= set(zones)
    assert "Europe/London" not in zones


@pytest.mark.parametrize("code", ["", "gb", "XX", "ZZ", "001", "GBR", None])
def test_codes_that_are_not_countries(code):
    assert not countries.is_country(code)


def test_a_new_company_is_live_on_pro_in_the_us_by_default(create):
    company = create.company()
    assert (company.country, company.plan) == ("US", Plan.PRO)
    assert company.is_live and not company.is_suspended and company.portal_open


def test_the_portal_opens_only_on_pro_for_a_live_unsuspended_company(create):
    from fieldportal.models import utcnow

    company = create.company()
    company.plan = Plan.FREE
    assert not company.portal_open
    company.plan = Plan.PRO
    company.suspended_at = utcnow()
    assert not company.portal_open
    company.suspended_at = None
    company.live_at = None
    assert not company.portal_open
    company.live_at = utcnow()
    company.portal_enabled = False
    assert not company.portal_open


@pytest.mark.parametrize("country", ["gb", "G", "GBR"])
def test_the_database_refuses_a_country_that_is_not_two_capitals(create, db, country):
    with pytest.raises((IntegrityError, DataError)):  # PostgreSQL: GBR is too long
        with db.session.begin_nested():
            create.company(country=country)
