"""Fixtures for service-request tests: a customer with sites, a contact, allowed job types,
and image uploads made in memory."""

import io
from datetime import timedelta

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage

from fieldportal.extensions import db as _db
from fieldportal.models import CustomerJobType, CustomerKind, StaffRole
from fieldportal.services.clock import company_today


def image_bytes(fmt: str = "JPEG", size=(64, 48), color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    mode = "RGBA" if fmt == "PNG" else "RGB"
    Image.new(mode, size, color).save(out, format=fmt)
    return out.getvalue()


def upload(data: bytes, filename: str = "photo.jpg", content_type: str = "image/jpeg"):
    return FileStorage(stream=io.BytesIO(data), filename=filename, content_type=content_type)


@pytest.fixture
def setup(company, create):
    """A fleet customer with two sites, a vehicle, an asset, an admin contact, two allowed
    job types and one not allowed; a dispatcher and a technician."""

    class Setup:
        pass

    s = Setup()
    s.company = company
    s.customer = create.customer(company, CustomerKind.FLEET, name="Bluebird Couriers")
    s.site = create.site(s.customer, name="North depot")
    s.other_site = create.site(s.customer, name="South depot")
    s.vehicle = create.vehicle(s.customer, make="Ford", model="Transit", plate="BLU001")
    s.asset = create.asset(s.customer, site_id=s.site.id)
    s.contact = create.contact(s.customer, name="Carla Contact", email="carla@bluebird.test")
    s.oil = create.job_type(company, name="Oil change")
    s.brakes = create.job_type(company, name="Brake inspection")
    s.not_allowed = create.job_type(company, name="Engine rebuild")
    for job_type in (s.oil, s.brakes):
        _db.session.add(CustomerJobType(customer_id=s.customer.id, job_type_id=job_type.id))
    s.dispatcher = create.staff(company, StaffRole.DISPATCHER, name="Dana Dispatch")
    s.technician = create.staff(company, StaffRole.TECHNICIAN, name="Theo Tech")
    _db.session.flush()
    s.today = company_today(company)
    s.tomorrow = s.today + timedelta(days=1)
    return s
