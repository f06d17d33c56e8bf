"""Operational endpoints: health check for load balancers."""

from flask import Blueprint, jsonify

from ...services.health import health_report

bp = Blueprint("system", __name__)


@bp.route("/healthz")
def healthz():
    """200 while the database and every configured Redis answer, else 503; JSON says which
    (and nothing more: no addresses, no error text)."""
    report, healthy = health_report()
    return jsonify(report), 200 if healthy else 503
