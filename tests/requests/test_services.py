"""The rules of submit_request, approve_request and decline_request."""

import io
import os
import struct
import zlib
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from fieldportal.models import (
    AuditEvent,
    Job,
    JobStatus,
    JobStatusChange,
    OutboxEmail,
    RequestPhoto,
    RequestStatus,
    ServiceRequest,
    StaffRole,
)
from fieldportal.services.errors import Invalid
from fieldportal.services.work.request_photos import photo_folder, thumb_name
from fieldportal.services.work.requests import (
    AlreadyDecided,
    RequestInput,
    approve_request,
    decline_request,
    submit_request,
)

from .conftest import image_bytes, upload


def _input(setup, **overrides):
    values = dict(
        description="Brakes squeal when cold",
        site_id=setup.site.id,
        vehicle_id=setup.vehicle.id,
        job_type_id=setup.brakes.id,
        preferred_date=setup.tomorrow,
        urgency="high",
    )
    values.update(overrides)
    return RequestInput(**values)


def _errors(setup, **overrides):
    with pytest.raises(Invalid) as caught:
        submit_request(setup.contact, setup.company, _input(setup, **overrides))
    return caught.value.errors


def test_submit_creates_pending_request_and_never_a_job(db, setup):
    before_jobs = db.session.scalar(select(Job.id).limit(1))
    request = submit_request(setup.contact, setup.company, _input(setup))
    assert request.status == RequestStatus.PENDING
    assert request.job_id is None
    assert request.customer_id == setup.customer.id
    assert request.contact_id == setup.contact.id
    assert request.urgency.value == "high"
    assert before_jobs is None and db.session.scalar(select(Job.id).limit(1)) is None
    email = db.session.scalar(select(OutboxEmail).where(OutboxEmail.kind == "request_received"))
    assert email.to_address == "carla@bluebird.test"
    assert "Brakes squeal when cold" in email.text_body
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "request.submitted"))
    assert event.contact_id == setup.contact.id and event.object_id == request.id


def test_site_must_be_one_of_the_contacts_sites(db, setup, create, other_company):
    stranger = create.site(create.customer(setup.company))
    assert "site_id" in _errors(setup, site_id=stranger.id)
    rival_site = create.site(create.customer(other_company))
    assert "site_id" in _errors(setup, site_id=rival_site.id)
    # a site-scoped contact may use only its chosen sites
    setup.contact.all_sites = False
    setup.contact.sites = [setup.other_site]
    db.session.flush()
    assert "site_id" in _errors(setup, site_id=setup.site.id, vehicle_id=None)
    ok = submit_request(
        setup.contact, setup.company, _input(setup, site_id=setup.other_site.id, vehicle_id=None)
    )
    assert ok.site_id == setup.other_site.id


def test_site_required_when_the_customer_has_sites(db, setup):
    assert _errors(setup, site_id=None)["site_id"] == ["Choose a site."]


def test_vehicle_and_asset_must_belong_to_the_customer(db, setup, create, other_company):
    other_vehicle = create.vehicle(create.customer(setup.company))
    assert "vehicle_id" in _errors(setup, vehicle_id=other_vehicle.id)
    rival_vehicle = create.vehicle(create.customer(other_company))
    assert "vehicle_id" in _errors(setup, vehicle_id=rival_vehicle.id)
    other_asset = create.asset(create.customer(setup.company))
    assert "asset_id" in _errors(setup, vehicle_id=None, asset_id=other_asset.id)
    assert "asset_id" in _errors(setup, asset_id=setup.asset.id)  # both at once
    ok = submit_request(
        setup.contact, setup.company, _input(setup, vehicle_id=None, asset_id=setup.asset.id)
    )
    assert ok.asset_id == setup.asset.id


def test_job_type_must_be_allowed_for_the_customer(db, setup, create, other_company):
    assert "job_type_id" in _errors(setup, job_type_id=setup.not_allowed.id)
    assert "job_type_id" in _errors(setup, job_type_id=create.job_type(other_company).id)
    assert "job_type_id" in _errors(setup, job_type_id=None)
    setup.brakes.active = False
    db.session.flush()
    assert "job_type_id" in _errors(setup, job_type_id=setup.brakes.id)


def test_preferred_date_not_in_the_past_in_company_time(db, setup):
    assert "preferred_date" in _errors(setup, preferred_date=setup.today - timedelta(days=1))
    assert submit_request(setup.contact, setup.company, _input(setup, preferred_date=setup.today))


def test_description_and_urgency_checked(db, setup):
    assert "description" in _errors(setup, description="   ")
    assert "description" in _errors(setup, description="x" * 4001)
    assert "urgency" in _errors(setup, urgency="whenever")


def test_photos_are_re_encoded_and_stored_under_random_names(db, setup):
    jpeg = image_bytes("JPEG") + b"TRAILING-PAYLOAD"
    request = submit_request(
        setup.contact,
        setup.company,
        _input(
            setup,
            photos=[
                upload(jpeg, "../../etc/passwd.jpg"),
                upload(image_bytes("PNG"), "x.png", "image/png"),
                upload(image_bytes("WEBP"), "y.webp", "image/webp"),
            ],
        ),
    )
    photos = db.session.scalars(
        select(RequestPhoto).where(RequestPhoto.request_id == request.id)
    ).all()
    assert [photo.content_type for photo in photos] == ["image/jpeg", "image/png", "image/webp"]
    for photo in photos:
        assert "passwd" not in photo.filename and "/" not in photo.filename
        stored = (photo_folder() / photo.filename).read_bytes()
        assert b"TRAILING-PAYLOAD" not in stored
        assert len(stored) == photo.size_bytes
        assert (photo_folder() / thumb_name(photo.filename)).exists()
        with Image.open(io.BytesIO(stored)) as image:
            assert image.size == (photo.width, photo.height) == (64, 48)


def test_wrong_type_refused_by_content_not_by_name(db, setup):
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, format="GIF")
    for data in (
        gif.getvalue(),
        b"%PDF-1.4 not an image",
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
    ):
        errors = _errors(setup, photos=[upload(data, "innocent.jpg", "image/jpeg")])
        assert errors["photos"] == ["innocent.jpg is not a JPEG, PNG or WebP image."]


def test_too_big_refused_outside_a_request_too(db, setup, app):
    # Over HTTP the body limit answers first (413); called directly, the service
    # still reads no more than that limit.
    big = image_bytes("PNG") + b"\0" * app.config["MAX_CONTENT_LENGTH"]
    errors = _errors(setup, photos=[upload(big, "big.png", "image/png")])
    assert errors["photos"] == ["big.png is larger than 10 MB."]


def test_too_many_refused(db, setup):
    photos = [upload(image_bytes(), f"p{n}.jpg") for n in range(5)]
    assert _errors(setup, photos=photos)["photos"] == ["Attach at most 4 photos."]
    assert db.session.scalar(select(ServiceRequest.id).limit(1)) is None


def _png_bomb(width: int, height: int) -> bytes:
    """A valid PNG header claiming a huge image, with a tiny (compressed) body."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        body = kind + payload
        return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = b"\0" + b"\0" * ((width + 7) // 8)
    data = zlib.compress(row * 16, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


def test_decompression_bomb_refused_without_decoding(db, setup):
    for size in ((10_000, 10_000), (60_000, 60_000)):  # above our limit; above Pillow's
        bomb = _png_bomb(*size)
        assert len(bomb) < 10_000
        errors = _errors(setup, photos=[upload(bomb, "bomb.png", "image/png")])
        assert errors["photos"] == ["bomb.png has too many pixels (at most 40 megapixels)."]


def test_no_file_written_when_any_rule_fails(db, setup):
    folder = photo_folder()
    before = set(os.listdir(folder)) if folder.exists() else set()
    _errors(setup, job_type_id=setup.not_allowed.id, photos=[upload(image_bytes())])
    after = set(os.listdir(folder)) if folder.exists() else set()
    assert after == before


def _photo_files():
    folder = photo_folder()
    return set(os.listdir(folder)) if folder.exists() else set()


def test_photos_of_a_rolled_back_request_are_deleted(db, setup):
    before = _photo_files()
    request = submit_request(
        setup.contact, setup.company, _input(setup, photos=[upload(image_bytes())])
    )
    written = _photo_files() - before
    assert len(written) == 2  # the photo and its thumbnail, while the transaction is open
    db.session.rollback()
    assert _photo_files() == before
    assert db.session.get(ServiceRequest, request.id) is None


def test_releasing_a_savepoint_does_not_make_the_photos_permanent(db, setup):
    before = _photo_files()
    submit_request(setup.contact, setup.company, _input(setup, photos=[upload(image_bytes())]))
    with db.session.begin_nested():
        pass
    db.session.rollback()
    assert _photo_files() == before


def test_photos_of_a_committed_request_are_kept(db, setup):
    before = _photo_files()
    submit_request(setup.contact, setup.company, _input(setup, photos=[upload(image_bytes())]))
    db.session.commit()
    db.session.rollback()  # a later rollback does not touch what was committed
    assert len(_photo_files() - before) == 2


# ---------------------------------------------------------------- decisions


@pytest.fixture
def pending(db, setup):
    return submit_request(setup.contact, setup.company, _input(setup))


def test_approve_unscheduled_uses_company_default_status(db, setup, pending):
    setup.company.default_job_status = "unscheduled"
    job = approve_request(pending, by=setup.dispatcher)
    assert pending.status == RequestStatus.APPROVED
    assert pending.job_id == job.id and pending.decided_by_id == setup.dispatcher.id
    assert pending.decided_at is not None
    assert job.status == JobStatus.UNSCHEDULED and job.window_start is None
    assert (job.customer_id, job.site_id, job.vehicle_id, job.job_type_id) == (
        setup.customer.id,
        setup.site.id,
        setup.vehicle.id,
        setup.brakes.id,
    )
    assert job.title == "Brake inspection" and job.description == "Brakes squeal when cold"
    change = db.session.scalar(select(JobStatusChange).where(JobStatusChange.job_id == job.id))
    assert change.to_status == JobStatus.UNSCHEDULED and change.changed_by_id == setup.dispatcher.id
    email = db.session.scalar(select(OutboxEmail).where(OutboxEmail.kind == "request_approved"))
    assert email.to_address == "carla@bluebird.test" and f"job #{job.number}" in email.text_body
    assert "https://portal.example.test/portal/acme/requests" in email.text_body
    assert email.related_type == "ServiceRequest" and email.related_id == pending.id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "request.approved"))
    assert event.staff_user_id == setup.dispatcher.id and event.details["job_id"] == job.id


def test_approve_with_window_schedules_and_with_technician_assigns(db, setup, create):
    start = datetime(2030, 5, 1, 14, tzinfo=UTC)
    first = submit_request(setup.contact, setup.company, _input(setup))
    job = approve_request(first, by=setup.dispatcher, window=(start, start + timedelta(hours=2)))
    assert job.status == JobStatus.SCHEDULED and job.window_start == start
    second = submit_request(setup.contact, setup.company, _input(setup))
    job2 = approve_request(
        second,
        by=setup.dispatcher,
        window=(start, start + timedelta(hours=1)),
        technician_id=setup.technician.id,
    )
    assert job2.status == JobStatus.ASSIGNED and job2.technician_id == setup.technician.id
    assert job2.number == job.number + 1


def test_approve_refuses_bad_window_and_foreign_technician(
    db, setup, pending, create, other_company
):
    start = datetime(2030, 5, 1, 14, tzinfo=UTC)
    with pytest.raises(Invalid) as caught:
        approve_request(pending, by=setup.dispatcher, window=(start, start))
    assert "window_end" in caught.value.errors
    with pytest.raises(Invalid) as caught:
        approve_request(pending, by=setup.dispatcher, technician_id=create.staff(other_company).id)
    assert "technician_id" in caught.value.errors
    gone = create.staff(setup.company, StaffRole.TECHNICIAN, active=False)
    with pytest.raises(Invalid) as caught:
        approve_request(pending, by=setup.dispatcher, technician_id=gone.id)
    assert caught.value.errors["technician_id"] == ["Choose one of your technicians."]
    db.session.refresh(pending)
    assert pending.status == RequestStatus.PENDING


def test_decline_needs_a_reason_and_emails_it(db, setup, pending):
    with pytest.raises(Invalid):
        decline_request(pending, by=setup.dispatcher, reason="   ")
    decline_request(pending, by=setup.dispatcher, reason="We do not service <b>EVs</b>")
    assert pending.status == RequestStatus.DECLINED
    assert pending.decline_reason == "We do not service <b>EVs</b>"
    email = db.session.scalar(select(OutboxEmail).where(OutboxEmail.kind == "request_declined"))
    assert "We do not service <b>EVs</b>" in email.text_body
    assert "&lt;b&gt;EVs&lt;/b&gt;" in email.html_body
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "request.declined"))


def test_second_decision_says_who_decided(db, setup, pending, owner):
    approve_request(pending, by=setup.dispatcher)
    with pytest.raises(AlreadyDecided) as caught:
        decline_request(pending, by=owner, reason="No")
    assert str(caught.value) == "This request was already approved by Dana Dispatch."
    with pytest.raises(AlreadyDecided):
        approve_request(pending, by=owner)
    assert db.session.scalars(select(Job)).all() == [pending.job]


def test_staff_of_another_company_cannot_decide(db, setup, pending, create, other_company):
    with pytest.raises(AlreadyDecided):
        approve_request(pending, by=create.staff(other_company))
    db.session.refresh(pending)
    assert pending.status == RequestStatus.PENDING
