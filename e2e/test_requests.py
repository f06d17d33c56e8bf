"""Service requests in a real browser: staff decide inline in the inbox; a customer on a
phone asks for work with a photo and sees the answer."""

import io
import re

from PIL import Image
from playwright.sync_api import Browser, Page, expect

from fieldportal.demo_data import PORTAL_PASSWORD, STAFF_PASSWORD

from .quality import PageProblems, assert_accessible, assert_no_horizontal_overflow

PHONE = {"width": 390, "height": 844}


def staff_sign_in(page: Page, email: str = "dispatcher@acme.example") -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def pending_count(page: Page) -> int:
    return int(page.locator(".pending-count").first.get_attribute("data-pending-count"))


def test_decline_without_reason_is_refused_inline_then_accepted(page: Page, live_server):
    problems = PageProblems(page)
    problems.allow(422, "/decline")  # the refused decline answers 422 with the messages
    staff_sign_in(page)
    page.goto("/requests")
    assert_accessible(page)
    before = pending_count(page)
    row = page.locator(".request-row.request-pending").first
    row_id = row.get_attribute("id")
    row = page.locator(f"#{row_id}")

    row.get_by_role("button", name="Decline").click()
    expect(row.get_by_text("Give the customer a reason.")).to_be_visible()
    expect(row.get_by_label("Reason (the customer reads it)")).to_have_attribute(
        "aria-invalid", "true"
    )
    expect(page).to_have_url(re.compile(r"/requests$"))  # swapped in place, no navigation
    expect(page.locator(".pending-count").first).to_have_text(f"{before} pending")

    row.get_by_label("Reason (the customer reads it)").fill("We are fully booked that week")
    row.get_by_role("button", name="Decline").click()
    expect(row.get_by_text("We are fully booked that week")).to_be_visible()
    expect(row.locator(".request-status")).to_have_text("Declined")
    expect(row.locator(".request-outcome")).to_be_focused()
    expect(page.locator(".pending-count").first).to_have_text(f"{before - 1} pending")
    assert_accessible(page)
    problems.assert_none()


def portal_password_sign_in(page: Page, email: str, password: str) -> None:
    """Submit the password form of Acme's portal sign-in page."""
    page.goto("/portal/acme/sign-in")
    section = page.locator(
        "section", has=page.get_by_role("heading", name="Sign in with a password")
    )
    section.locator("input[name=email]").fill(email)
    section.get_by_label("Password").fill(password)
    section.get_by_role("button", name="Sign in").click()


def portal_context(browser: Browser, live_server, email: str):
    """A phone-sized browser context signed in to Acme's portal with the demo password."""
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    portal_password_sign_in(page, email, PORTAL_PASSWORD)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.close()
    return context


def png_photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (180, 40, 40)).save(out, format="PNG")
    return out.getvalue()


def test_customer_request_with_photo_approved_inline_by_staff(browser: Browser, live_server):
    description = "E2E: oil leak under the van, worst after long trips"
    customer_context = portal_context(browser, live_server, "fleet@acme.example")
    customer = customer_context.new_page()
    customer_problems = PageProblems(customer)

    customer.goto("/portal/acme/requests")
    customer.get_by_role("link", name="Request service").click()
    expect(customer.get_by_role("heading", name="Request service")).to_be_visible()
    assert_accessible(customer)
    assert_no_horizontal_overflow(customer)
    site = customer.get_by_label("Site")
    if site.count() and site.locator("option[value='']").count():
        site.select_option(index=1)
    service = customer.get_by_label("Service")
    if service.count():
        service.select_option(index=1)
    customer.get_by_label("What do you need?").fill(description)
    customer.get_by_label("High").check()
    customer.get_by_label("Photos").set_input_files(
        files=[{"name": "leak.png", "mimeType": "image/png", "buffer": png_photo()}]
    )
    customer.get_by_role("button", name="Send request").click()

    expect(customer).to_have_url(re.compile(r"/portal/acme/requests$"))
    expect(customer.get_by_text(re.compile(r"Thanks — request #\d+ was sent"))).to_be_visible()
    card = customer.locator(".request-row", has_text=description)
    expect(card.locator(".request-status")).to_have_text("Pending")
    thumb = card.get_by_role("img", name="Photo 1")
    expect(thumb).to_be_visible()
    assert customer.evaluate("(img) => img.naturalWidth", thumb.element_handle()) > 0
    assert_accessible(customer)
    assert_no_horizontal_overflow(customer)

    staff_context = browser.new_context(base_url=live_server.url)
    staff = staff_context.new_page()
    staff_problems = PageProblems(staff)
    staff_sign_in(staff)
    staff.goto("/requests")
    before = pending_count(staff)
    row = staff.locator(".request-row", has_text=description)
    expect(row.get_by_role("img", name=re.compile("Photo 1 of request"))).to_be_visible()
    expect(row.locator(".urgency")).to_have_text("High")
    row.get_by_text("Schedule or assign (optional)").click()
    row.get_by_label("Date", exact=True).fill("2031-03-04")
    row.get_by_label("From", exact=True).fill("09:30")
    row.get_by_label("To", exact=True).fill("11:00")
    row.get_by_role("button", name="Approve").click()
    expect(row.locator(".request-status")).to_have_text("Approved")
    expect(row.locator(".request-outcome")).to_contain_text("scheduled")
    expect(staff.locator(".pending-count").first).to_have_text(f"{before - 1} pending")
    job_number = re.search(r"job #(\d+)", row.locator(".request-outcome").inner_text()).group(1)

    customer.reload()
    card = customer.locator(".request-row", has_text=description)
    expect(card.locator(".request-status")).to_have_text("Approved")
    expect(card.locator(".request-outcome")).to_contain_text(f"job #{job_number}: Scheduled")
    customer_problems.assert_none()
    staff_problems.assert_none()
    customer_context.close()
    staff_context.close()


MEGABYTE = 1024 * 1024


def phone_photo(path, orientation: int = 1) -> None:
    """A 12-megapixel JPEG of about 4 MB, like a phone camera's (EXIF orientation given)."""
    size = (4032, 3024)
    gradient = Image.linear_gradient("L").resize(size)
    rings = Image.radial_gradient("L").resize(size)
    grain = Image.effect_noise(size, 40)
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.merge("RGB", (gradient, rings, grain)).save(path, "JPEG", quality=92, exif=exif)


def fill_request_form(page: Page, description: str) -> None:
    site = page.get_by_label("Site")
    if site.count() and site.locator("option[value='']").count():
        site.select_option(index=1)
    service = page.get_by_label("Service")
    if service.count():
        service.select_option(index=1)
    page.get_by_label("What do you need?").fill(description)


def stored_photos(live_server, description: str) -> list[tuple[int, int, tuple[int, int]]]:
    """(width, height) recorded, and the size of the stored file, of each photo of the
    request with ``description``."""
    from fieldportal.extensions import db
    from fieldportal.models import RequestPhoto, ServiceRequest
    from fieldportal.services.work.request_photos import photo_folder

    with live_server.app.app_context():
        request = db.session.scalars(
            db.select(ServiceRequest).where(ServiceRequest.description == description)
        ).one()
        photos = db.session.scalars(
            db.select(RequestPhoto)
            .where(RequestPhoto.request_id == request.id)
            .order_by(RequestPhoto.id)
        )
        result = []
        for photo in photos:
            with Image.open(photo_folder() / photo.filename) as stored:
                result.append((photo.width, photo.height, stored.size))
        return result


def request_count(live_server) -> int:
    from fieldportal.extensions import db
    from fieldportal.models import ServiceRequest

    with live_server.app.app_context():
        return db.session.scalar(db.select(db.func.count(ServiceRequest.id)))


def test_four_phone_photos_are_shrunk_in_the_browser_and_fit(
    browser: Browser, live_server, tmp_path
):
    photos = [tmp_path / f"IMG_{n}.jpg" for n in range(4)]
    for n, path in enumerate(photos):
        phone_photo(path, orientation=6 if n == 3 else 1)  # the last one held upright
    assert sum(path.stat().st_size for path in photos) > 12 * MEGABYTE  # too large as they are

    description = "E2E: four photos of the dented tail lift"
    context = portal_context(browser, live_server, "fleet@acme.example")
    page = context.new_page()
    problems = PageProblems(page)
    page.goto("/portal/acme/requests/new")
    fill_request_form(page, description)
    page.get_by_label("Photos").set_input_files(photos)
    expect(page.locator("#photos-status")).to_have_text(
        re.compile(r"^4 photos ready to send \(\d+\.\d MB\)\.$")
    )
    page.get_by_role("button", name="Send request").click()

    expect(page).to_have_url(re.compile(r"/portal/acme/requests$"))
    expect(page.get_by_text(re.compile(r"Thanks — request #\d+ was sent"))).to_be_visible()
    landscape = (2048, 1536, (2048, 1536))
    assert stored_photos(live_server, description) == [landscape] * 3 + [(1536, 2048, (1536, 2048))]
    problems.assert_none()
    context.close()


def test_without_javascript_a_too_large_upload_gets_the_company_page_saying_the_limit(
    browser: Browser, live_server, tmp_path
):
    photos = [tmp_path / f"IMG_{n}.jpg" for n in range(3)]
    for path in photos:
        phone_photo(path)
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, is_mobile=True, java_script_enabled=False
    )
    page = context.new_page()
    problems = PageProblems(page)
    problems.allow(413, "/requests/new")
    portal_password_sign_in(page, "fleet@acme.example", PORTAL_PASSWORD)
    page.goto("/portal/acme/requests/new")
    before = request_count(live_server)
    fill_request_form(page, "E2E: sent without JavaScript")
    page.get_by_label("Photos").set_input_files(photos)
    page.get_by_role("button", name="Send request").click()

    expect(page.get_by_role("heading", name="Too large")).to_be_visible()
    expect(page.get_by_text("larger than 10 MB, the most we accept at once")).to_be_visible()
    expect(page.locator(".portal-header")).to_contain_text("Acme Mobile Mechanics")
    # (No axe or layout checks here: they run scripts in the page, which this one forbids.)
    assert request_count(live_server) == before
    problems.assert_none()
    context.close()
