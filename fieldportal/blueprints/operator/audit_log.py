"""The company's audit log: every event as a sentence, filtered by kind, person and date;
``?format=csv`` answers the whole filtered log."""

from flask import g, request

from ... import csv_export
from ...htmx import render
from ...models import Capability
from ...services import audit_trail
from ...services.exports import lists as exports
from . import bp
from .access import require


@bp.get("/audit")
@require(Capability.READ_AUDIT_LOG)
def audit_log():
    query = audit_trail.AuditQuery.from_args(request.args)
    if csv_export.wants_csv(request.args):
        return csv_export.download(exports.audit_log(g.company, query), g.company, request.args)
    return render(
        page="operator/audit/index.html",
        fragment="partials/operator/_audit_table.html",
        result=audit_trail.audit_log(g.company, query),
        query=query,
        kinds=audit_trail.KINDS,
        people=audit_trail.staff_choices(g.company),
    )
