"""A company with a fleet, a contact and a platform admin."""

import pytest

from tests.factories import create_platform_admin
from tests.portal.conftest import contact, fleet  # noqa: F401


@pytest.fixture
def platform_admin(db):
    return create_platform_admin(email="pat@platform.example.com")
