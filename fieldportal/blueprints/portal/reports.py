"""Portal Reports tab: approved reports only, detail and PDF."""

from flask import abort, g

from ...htmx import render
from ...models import PortalPermission
from ...services.billing import documents
from ...services.portal import portal_billing
from . import bp
from .access import require_company_setting, require_permission
from .billing_access import site_ids


def _load(report_id: int):
    report = portal_billing.approved_report(g.customer, report_id, site_ids())
    if report is None:
        abort(404)
    return report


@bp.get("/reports", endpoint="reports")
@require_company_setting("show_reports")
@require_permission(PortalPermission.REPORTS)
def reports_index():
    return render(
        page="portal/reports/index.html",
        fragment="partials/portal/_reports_panel.html",
        reports=portal_billing.approved_reports(g.customer, site_ids()),
    )


@bp.get("/reports/<int:report_id>")
@require_company_setting("show_reports")
@require_permission(PortalPermission.REPORTS)
def report_detail(report_id: int):
    return render(page="portal/reports/detail.html", report=_load(report_id))


@bp.get("/reports/<int:report_id>.pdf")
@require_company_setting("show_reports")
@require_permission(PortalPermission.REPORTS)
def report_pdf(report_id: int):
    report = _load(report_id)
    return documents.pdf_response(documents.report_pdf(report), f"report-{report.number}.pdf")
