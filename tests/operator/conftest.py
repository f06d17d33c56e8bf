"""Fixtures for the operator back office: clients signed in per role."""

import pytest

from fieldportal.models import StaffRole

from ..helpers import sign_in


@pytest.fixture
def dispatcher(company, create):
    return create.staff(company, StaffRole.DISPATCHER, name="Dana Dispatcher")


@pytest.fixture
def technician(company, create):
    return create.staff(company, StaffRole.TECHNICIAN, name="Theo Technician")


@pytest.fixture
def client_as(app, db):
    """client_as(staff_user) -> a fresh test client signed in as that user."""

    def make(principal):
        client = app.test_client()
        sign_in(client, principal)
        return client

    return make


HX = {"HX-Request": "true"}
