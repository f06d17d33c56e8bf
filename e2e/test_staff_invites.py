"""An owner invites a colleague from Settings → Staff; the colleague opens the emailed
link, chooses a name and password and lands signed in. Every page axe-clean."""

from playwright.sync_api import Page, expect

from fieldportal.demo_data import STAFF_PASSWORD

from .quality import PageProblems, assert_accessible, assert_no_horizontal_overflow

INVITEE = "nadia.invited@acme.example"


def test_owner_invites_and_the_invitee_joins_from_the_email(page: Page, live_server):
    problems = PageProblems(page)
    problems.allow(422, "/invite/")  # the refused weak password
    page.goto("/login")
    page.get_by_label("Email").fill("owner@acme.example")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    checklist = page.get_by_role("region", name="Set up Acme Mobile Mechanics")
    expect(checklist).to_be_visible()
    expect(checklist.get_by_role("link", name="Invite your staff")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Settings", exact=True).click()
    page.get_by_role("link", name="Staff accounts and invitations").click()
    expect(page.get_by_role("heading", name="Staff", exact=True)).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Email").fill(INVITEE)
    page.get_by_label("Role").select_option("dispatcher")
    page.get_by_role("button", name="Send invitation").click()
    # Under load the invitation (a password hash, an email rendered) can take a while.
    expect(page.get_by_text(f"Invitation sent to {INVITEE}.")).to_be_visible(timeout=30_000)
    row = page.locator(f'tr[data-staff="{INVITEE}"]')
    expect(row).to_contain_text("Invited")
    expect(row.get_by_role("button", name=f"Resend the invitation to {INVITEE}")).to_be_visible()
    assert_accessible(page)
    page.set_viewport_size({"width": 360, "height": 780})
    assert_no_horizontal_overflow(page)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.get_by_role("button", name="Sign out").click()

    link = live_server.outbox_link(INVITEE, marker="/invite/")
    page.goto(link)
    expect(page.get_by_role("heading", name="Join Acme Mobile Mechanics")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Your name").fill("Nadia Invited")
    page.get_by_label("Choose a password").fill("short")
    page.get_by_label("Repeat the password").fill("short")
    page.get_by_role("button", name="Join Acme Mobile Mechanics").click()
    expect(page.get_by_label("Choose a password")).to_have_attribute(
        "aria-invalid", "true", timeout=30_000
    )
    assert_accessible(page)
    page.get_by_label("Choose a password").fill("a fine long passphrase")
    page.get_by_label("Repeat the password").fill("a fine long passphrase")
    page.get_by_role("button", name="Join Acme Mobile Mechanics").click()
    expect(
        page.get_by_text("Welcome to Acme Mobile Mechanics, Nadia. You are signed in.")
    ).to_be_visible(timeout=30_000)
    expect(page.get_by_role("heading", name="Today at Acme Mobile Mechanics")).to_be_visible()
    assert_accessible(page)
    problems.assert_none()
