"""Reports in the back office: drafts written and read (write_reports, no money here) and
approved (approve_reports). Also the operator's PDFs of jobs, vehicles and
customers: job sheet, vehicle service history, statement of account."""

from datetime import timedelta

from flask import abort, flash, g, request, url_for

from ...htmx import redirect_after_post, render
from ...models import Capability, Customer, Job, Report, Vehicle
from ...services import customers
from ...services.billing import documents
from ...services.clock import company_today
from ...services.errors import Conflict
from ...services.work import reports
from ..validators import options
from . import bp
from .access import get_for_company_or_404, require
from .forms import ReportForm


@bp.get("/reports")
@require(Capability.WRITE_REPORTS)
def report_list():
    query = reports.ReportQuery.from_args(request.args)
    return render(
        page="operator/reports/index.html",
        fragment="partials/operator/_report_table.html",
        result=reports.report_list(g.company, query),
        query=query,
        statuses=reports.STATUS_FILTERS,
    )


def _load(report_id: int) -> Report:
    """The report with everything its page shows, if it is this company's; else 404."""
    return get_for_company_or_404(Report, report_id, *reports.detail_options())


def _named_job() -> Job | None:
    """The job ?job_id= names (a report of it), if it is this company's."""
    job_id = request.args.get("job_id", type=int)
    return get_for_company_or_404(Job, job_id) if job_id else None


def _form_page(form: ReportForm, report: Report | None = None, job: Job | None = None):
    status = 422 if form.is_submitted() else 200
    return render(
        page="operator/reports/form.html", form=form, report=report, job=job, status=status
    )


def _to_report(report_id: int):
    return redirect_after_post(url_for("operator.report_detail", report_id=report_id))


def _new_report_form() -> ReportForm:
    form = ReportForm()
    form.customer_id.choices = options(customers.pick_list(g.company.id))
    return form


@bp.get("/reports/new")
@require(Capability.WRITE_REPORTS)
def new_report():
    job = _named_job()
    form = _new_report_form()
    form.start(job)
    return _form_page(form, job=job)


@bp.post("/reports/new")
@require(Capability.WRITE_REPORTS)
def create_report():
    job = _named_job()
    form = _new_report_form()
    if form.validate():
        customer_id = job.customer_id if job else form.customer_id.data
        if customer_id:
            customer = get_for_company_or_404(Customer, customer_id)
            report = reports.create_report(customer, job=job, by=g.staff, **form.values())
            flash(f"Draft report #{report.number} saved.", "success")
            return _to_report(report.id)
        form.customer_id.errors = ["Choose a customer."]
    return _form_page(form, job=job)


def _editable(report_id: int) -> tuple[Report, ReportForm]:
    """The report and its form if it can still be edited; else back to its page."""
    report = _load(report_id)
    if not reports.is_editable(report):
        flash("An approved report cannot be edited.", "error")
        abort(_to_report(report.id))
    form = ReportForm()
    form.customer_id.choices = options([(report.customer_id, report.customer.name)])
    return report, form


@bp.get("/reports/<int:report_id>/edit")
@require(Capability.WRITE_REPORTS)
def edit_report(report_id: int):
    report, form = _editable(report_id)
    form.show(report)
    return _form_page(form, report)


@bp.post("/reports/<int:report_id>/edit")
@require(Capability.WRITE_REPORTS)
def save_report(report_id: int):
    report, form = _editable(report_id)
    if not form.validate():
        return _form_page(form, report)
    reports.update_report(report, **form.values())
    flash("Report saved.", "success")
    return _to_report(report.id)


@bp.get("/reports/<int:report_id>")
@require(Capability.WRITE_REPORTS)
def report_detail(report_id: int):
    return render(page="operator/reports/detail.html", report=_load(report_id))


@bp.post("/reports/<int:report_id>/approve")
@require(Capability.APPROVE_REPORTS)
def approve_report(report_id: int):
    report = _load(report_id)
    number = report.number
    try:
        reports.approve_report(report, by=g.staff)
    except Conflict as error:
        flash(error.message, "error")
        return render(page="operator/reports/detail.html", report=report, status=error.status)
    flash(f"Report #{number} approved; the customer can see it now.", "success")
    return _to_report(report_id)


@bp.get("/reports/<int:report_id>.pdf")
@require(Capability.WRITE_REPORTS)
def report_pdf(report_id: int):
    report = _load(report_id)
    return documents.pdf_response(documents.report_pdf(report), f"report-{report.number}.pdf")


@bp.get("/jobs/<int:job_id>/sheet.pdf")
@require(Capability.WORK_JOBS)
def job_sheet_pdf(job_id: int):
    job = get_for_company_or_404(Job, job_id, *documents.job_sheet_options())
    return documents.pdf_response(documents.job_sheet_pdf(job), f"job-{job.number}.pdf")


@bp.get("/vehicles/<int:vehicle_id>/history.pdf")
@require(Capability.WORK_JOBS)
def vehicle_history_pdf(vehicle_id: int):
    vehicle = get_for_company_or_404(Vehicle, vehicle_id, *documents.vehicle_history_options())
    return documents.pdf_response(
        documents.vehicle_history_pdf(vehicle), f"service-history-{vehicle.id}.pdf"
    )


@bp.get("/customers/<int:customer_id>/statement.pdf")
@require(Capability.SEE_MONEY)
def customer_statement_pdf(customer_id: int):
    customer = get_for_company_or_404(Customer, customer_id)
    today = company_today(g.company)
    statement = documents.statement_of_account(customer, today, today - timedelta(days=90))
    return documents.pdf_response(
        documents.statement_pdf(statement), f"statement-{customer.id}.pdf"
    )
