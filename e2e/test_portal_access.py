"""Staff give a contact a username and password themselves and pass on the portal's
address: with JavaScript the button copies it to the clipboard, without it the address is
a read-only field to select (and no dead button is shown). The contact then signs in at
the copied address with what staff set."""

import re

from playwright.sync_api import Browser, Page, expect

from .quality import PHONE, Journey
from .test_journeys import open_portal_access, portal_contact
from .test_requests import staff_sign_in

PASSWORD = "Copper-Kettle-4471"


def test_staff_set_a_password_copy_the_address_and_the_contact_signs_in_there(
    browser: Browser, live_server, artifacts_dir
):
    email = "cora.copy@journey.example"
    customer_id = portal_contact(live_server, "Cora Copy", email, None)
    sign_in_url = f"{live_server.url}/portal/acme/sign-in"
    context = browser.new_context(base_url=live_server.url)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    staff = Journey(page, artifacts_dir)
    staff_sign_in(page, "owner@acme.example")
    open_portal_access(page, customer_id, "Cora Copy", staff)

    address = page.get_by_label("Portal sign-in address")
    expect(address).to_have_value(sign_in_url)
    expect(address).to_have_attribute("readonly", "")
    page.get_by_role("button", name="Copy portal address").click()
    expect(page.get_by_text("Copied to the clipboard.")).to_be_visible()
    assert page.evaluate("() => navigator.clipboard.readText()") == sign_in_url

    section = page.locator("#contact-password")
    section.get_by_label("New password (at least 8 characters)").fill(PASSWORD)
    section.get_by_role("button", name="Save username and password").click()
    expect(
        page.get_by_text(f"Username and password saved. Cora Copy signs in as {email}.")
    ).to_be_visible()
    expect(page.locator("dl.facts")).to_contain_text("PasswordSet")
    staff.check()
    staff.finish()
    context.close()

    # The contact, on a phone, at the address that was copied.
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    customer_page = phone.new_page()
    customer = Journey(customer_page, artifacts_dir)
    customer_page.goto(sign_in_url)
    form = customer_page.locator(
        "section", has=customer_page.get_by_role("heading", name="Sign in with a password")
    )
    form.locator("input[name=email]").fill(email)
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Sign in").click()
    expect(customer_page.get_by_role("heading", name="Hello, Cora")).to_be_visible()
    customer.check()
    customer.finish()
    phone.close()


def test_without_javascript_the_address_is_a_field_to_select_and_no_button_shows(
    browser: Browser, live_server
):
    customer_id = portal_contact(live_server, "Noel Noscript", "noel@journey.example", None)
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page: Page = context.new_page()
    staff_sign_in(page, "owner@acme.example")
    page.goto(f"/customers/{customer_id}")
    page.get_by_role("link", name="Portal access for Noel Noscript").click()
    address = page.get_by_label("Portal sign-in address")
    expect(address).to_be_visible()
    expect(address).to_have_value(f"{live_server.url}/portal/acme/sign-in")
    expect(page.get_by_role("button", name="Copy portal address")).to_be_hidden()
    assert page.locator("#portal-url-help").inner_text() == "Select the address to copy it."
    # Selecting the field takes the whole address, as a person copying it by hand would.
    address.click(click_count=3)
    selected = address.evaluate(
        "(field) => field.value.slice(field.selectionStart, field.selectionEnd)"
    )
    assert re.fullmatch(re.escape(live_server.url) + r"/portal/acme/sign-in", selected)
    context.close()
