"""Operational endpoints: health check for load balancers."""

from flask import Blueprint, jsonify
from sqlalchemy import text

from ...extensions import db

bp = Blueprint("system", __name__)


@bp.route("/healthz")
def healthz():
    """200 when the database answers, 503 otherwise (no details leaked)."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        db.session.rollback()
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
