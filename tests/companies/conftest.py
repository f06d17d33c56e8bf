"""Fixtures borrowed from the email and migration tests."""

from tests.email.conftest import smtp_server  # noqa: F401
from tests.foundation.test_migrations import empty_database_url  # noqa: F401
