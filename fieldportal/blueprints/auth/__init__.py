"""Staff sign-in and sign-out, forgot password, and accepting an invitation."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from . import invitation, password, two_factor, views  # noqa: E402,F401
