"""A throttled request gets a page saying how long to wait, in the look of where it
happened, with Retry-After, never the limit it crossed ("30 per 10 minute")."""

import pytest

from fieldportal.services.auth.throttle import too_many_attempts, wait_phrase
from tests.helpers import text_of

HX = {"HX-Request": "true"}


@pytest.mark.parametrize(
    ("seconds", "phrase"),
    [
        (1, "a minute"),
        (60, "a minute"),
        (61, "2 minutes"),
        (599.2, "10 minutes"),
        (3540, "59 minutes"),
        (3541, "an hour"),
        (3600, "an hour"),
        (3601, "2 hours"),
        (3 * 3600, "3 hours"),
    ],
)
def test_waits_are_said_as_people_say_them_and_never_shorter(seconds, phrase):
    assert wait_phrase(seconds) == phrase


def _staff_sign_in(client, headers=None):
    return client.post(
        "/login", data={"email": "nobody@acme.test", "password": "nope"}, headers=headers or {}
    )


def test_the_staff_sign_in_page_says_how_long_to_wait(client, owner):
    for _ in range(30):
        assert _staff_sign_in(client).status_code == 422
    refused = _staff_sign_in(client)
    assert refused.status_code == 429
    text = text_of(refused)
    assert "Too many attempts. Try again in 10 minutes." in text
    assert "per 10 minute" not in text and "30 per" not in text
    assert 540 < int(refused.headers["Retry-After"]) <= 600
    assert "<html" in refused.get_data(as_text=True)
    fragment = _staff_sign_in(client, HX)
    assert fragment.status_code == 429 and "<html" not in fragment.get_data(as_text=True)
    assert "Too many attempts. Try again in 10 minutes." in text_of(fragment)


def test_the_portal_answers_in_the_companys_own_look(client, company):
    company.brand_color = "#0f766e"
    url = f"/portal/{company.slug}/sign-in/pin"
    for n in range(15):
        client.post(url, data={"phone": f"+1 312 555 {1000 + n}", "pin": "0000"})
    refused = client.post(url, data={"phone": "+1 312 555 0199", "pin": "0000"})
    assert refused.status_code == 429
    html = refused.get_data(as_text=True)
    assert 'class="portal-header"' in html and company.name in html
    assert too_many_attempts(3600) == "Too many attempts. Try again in an hour."
    assert "Too many attempts. Try again in an hour." in text_of(refused)
    assert "15 per 1 hour" not in text_of(refused)
