"""Staff sign-in and sign-out, and forgot password."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from . import password, two_factor, views  # noqa: E402,F401
