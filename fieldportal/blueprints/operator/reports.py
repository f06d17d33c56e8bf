"""Reports in the back office: drafts written and read (write_reports, no money here) and
approved (approve_reports). Also the operator's PDFs of jobs, vehicles and
customers: job sheet, vehicle service history, statement of account."""

from datetime import timedelta

from flask import abort, flash, g, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ...extensions import db
from ...htmx import redirect_after_post, render
from ...models import Capability, Customer, Job, Report, ReportKind, ReportStatus, Vehicle
from ...query_args import page_number
from ...services import customers
from ...services.billing import documents
from ...services.clock import company_today
from ...services.work import reports
from ..validators import options
from . import bp
from .access import get_for_company_or_404, require
from .forms import NoNulForm

PER_PAGE = 50


class ReportForm(NoNulForm):
    class Meta:
        csrf = False

    customer_id = SelectField("Customer", coerce=int, validators=[Optional()])
    kind = SelectField(
        "Kind",
        choices=options((k.value, k.value.capitalize()) for k in ReportKind),
        validators=[DataRequired()],
    )
    title = StringField("Title", validators=[DataRequired(), Length(max=160)])
    body = TextAreaField("Report", validators=[Optional(), Length(max=50_000)])


def load_report_or_404(report_id: int) -> Report:
    report = db.session.scalar(
        select(Report)
        .where(Report.id == report_id, Report.company_id == g.company.id)
        .options(
            joinedload(Report.customer), joinedload(Report.job), joinedload(Report.approved_by)
        )
    )
    if report is None:
        abort(404)
    return report


@bp.get("/reports", endpoint="reports")
@require(Capability.WRITE_REPORTS)
def reports_index():
    status = request.args.get("status", "all")
    page = page_number(request.args)
    query = select(Report).where(Report.company_id == g.company.id)
    if status in ("draft", "approved"):
        query = query.where(Report.status == ReportStatus(status))
    else:
        status = "all"
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(
        query.options(joinedload(Report.customer))
        .order_by(Report.number.desc())
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    ).all()
    return render(
        page="operator/reports/index.html",
        fragment="partials/operator/_report_table.html",
        reports=rows,
        status_filter=status,
        statuses=("all", "draft", "approved"),
        page_number=page,
        has_next=page * PER_PAGE < total,
        total=total,
    )


@bp.route("/reports/new", methods=["GET", "POST"])
@require(Capability.WRITE_REPORTS)
def report_new():
    job = None
    if request.args.get("job_id", type=int):
        job = get_for_company_or_404(Job, request.args.get("job_id", type=int))
    form = ReportForm()
    form.customer_id.choices = options(customers.pick_list(g.company.id))
    if request.method != "POST" and job is not None:
        form.customer_id.data = job.customer_id
        form.title.data = f"Service report — {job.title}"
    if request.method == "POST" and form.validate():
        customer_id = job.customer_id if job else form.customer_id.data
        if not customer_id:
            form.customer_id.errors = ["Choose a customer."]
        else:
            customer = get_for_company_or_404(Customer, customer_id)
            report = reports.create_report(
                customer,
                kind=ReportKind(form.kind.data),
                title=form.title.data,
                body=form.body.data or "",
                job=job,
                by=g.staff,
            )
            db.session.commit()
            flash(f"Draft report #{report.number} saved.", "success")
            return redirect_after_post(url_for("operator.report_detail", report_id=report.id))
    status = 422 if request.method == "POST" else 200
    return render(page="operator/reports/form.html", form=form, report=None, job=job, status=status)


@bp.route("/reports/<int:report_id>/edit", methods=["GET", "POST"])
@require(Capability.WRITE_REPORTS)
def report_edit(report_id: int):
    report = load_report_or_404(report_id)
    form = ReportForm(obj=report if request.method != "POST" else None)
    form.customer_id.choices = options([(report.customer_id, report.customer.name)])
    if request.method != "POST":
        form.kind.data = report.kind.value
    if request.method == "POST" and form.validate():
        try:
            reports.update_report(
                report,
                kind=ReportKind(form.kind.data),
                title=form.title.data,
                body=form.body.data or "",
            )
        except reports.ReportError as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            flash("Report saved.", "success")
        return redirect_after_post(url_for("operator.report_detail", report_id=report.id))
    status = 422 if request.method == "POST" else 200
    return render(
        page="operator/reports/form.html", form=form, report=report, job=None, status=status
    )


@bp.get("/reports/<int:report_id>")
@require(Capability.WRITE_REPORTS)
def report_detail(report_id: int):
    return render(page="operator/reports/detail.html", report=load_report_or_404(report_id))


@bp.post("/reports/<int:report_id>/approve")
@require(Capability.APPROVE_REPORTS)
def report_approve(report_id: int):
    report = load_report_or_404(report_id)
    try:
        reports.approve_report(report, by=g.staff)
    except reports.ReportError as error:
        db.session.rollback()
        flash(str(error), "error")
        return render(
            page="operator/reports/detail.html", report=load_report_or_404(report_id), status=409
        )
    db.session.commit()
    flash(f"Report #{report.number} approved; the customer can see it now.", "success")
    return redirect_after_post(url_for("operator.report_detail", report_id=report_id))


@bp.get("/reports/<int:report_id>.pdf")
@require(Capability.WRITE_REPORTS)
def report_pdf(report_id: int):
    report = load_report_or_404(report_id)
    return documents.pdf_response(documents.report_pdf(report), f"report-{report.number}.pdf")


@bp.get("/jobs/<int:job_id>/sheet.pdf")
@require(Capability.WORK_JOBS)
def job_sheet_pdf(job_id: int):
    job = get_for_company_or_404(Job, job_id)
    return documents.pdf_response(documents.job_sheet_pdf(job), f"job-{job.number}.pdf")


@bp.get("/vehicles/<int:vehicle_id>/history.pdf")
@require(Capability.WORK_JOBS)
def vehicle_history_pdf(vehicle_id: int):
    vehicle = get_for_company_or_404(Vehicle, vehicle_id)
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
