"""Getting a company started: self-serve sign-up at /signup, its email confirmation, and
the first owner's set-password page (links printed by ``flask create-company``)."""

from flask import Blueprint

bp = Blueprint("signup", __name__)

from . import views  # noqa: E402,F401
