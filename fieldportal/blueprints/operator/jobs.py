"""Jobs (work orders): list, create, edit, schedule, assign, status moves, complete.

The job page's actions answer, for htmx, the job panel again; a plain form POST a 303 to
the job. The job services check everything before they change anything, and the commit
point rolls a refused request back, so the panel shown after a refusal (422, with the
message) is the job as the database has it.
"""

from flask import abort, flash, g, request, url_for
from wtforms.fields.choices import SelectChoice

from ... import csv_export
from ...htmx import is_fragment_request, redirect_after_post, render
from ...models import Capability, Customer, Job, JobStatus, StaffUser
from ...services import customers
from ...services.clock import company_zone
from ...services.errors import RuleError
from ...services.exports import lists as exports
from ...services.work import jobs
from ..validators import options
from . import bp
from .access import get_for_company_or_404, require
from .forms import (
    AssignForm,
    CompleteForm,
    CustomerPickForm,
    JobForm,
    ScheduleForm,
    StatusForm,
    show_errors,
    staff_choices,
    to_local,
)


@bp.get("/jobs")
@require(Capability.WORK_JOBS)
def job_list():
    query = jobs.JobQuery.from_args(request.args)
    if csv_export.wants_csv(request.args):
        return csv_export.download(exports.jobs_list(g.company, query), g.company, request.args)
    page = jobs.list_view(g.company, query, with_filters=not is_fragment_request())
    return render(
        page="operator/jobs/index.html",
        fragment="partials/operator/_job_table.html",
        status_labels=jobs.STATUS_LABELS,
        **vars(page),
    )


def _picked_customer() -> Customer:
    """The customer ?customer_id= names, if it is one of the listed ones; else the page
    to pick one (422 when the one named is not on the list)."""
    picker = CustomerPickForm(request.args)
    picker.customer_id.choices = options(
        [(None, "Choose a customer")] + customers.pick_list(g.company.id)
    )
    if "customer_id" in request.args and picker.validate() and picker.customer_id.data:
        return get_for_company_or_404(Customer, picker.customer_id.data)
    status = 422 if "customer_id" in request.args else 200
    abort(render(page="operator/jobs/pick_customer.html", picker=picker, status=status))


def _job_form(form: JobForm, customer: Customer, job: Job | None):
    status = 422 if form.is_submitted() else 200
    return render(
        page="operator/jobs/form.html", form=form, customer=customer, job=job, status=status
    )


@bp.get("/jobs/new")
@require(Capability.PLAN_JOBS)
def new_job():
    customer = _picked_customer()
    form = JobForm()
    form.offer(jobs.form_options(customer))
    return _job_form(form, customer, None)


@bp.post("/jobs/new")
@require(Capability.PLAN_JOBS)
def create_job():
    customer = _picked_customer()
    form = JobForm()
    form.offer(jobs.form_options(customer))
    if form.validate():
        values = form.values(company_zone(g.company))
        try:
            job = jobs.create_job(g.company, by=g.staff, customer_id=customer.id, **values)
        except RuleError as error:
            show_errors(form, error, "window_end")
        else:
            flash(f"Job #{job.number} created.", "success")
            return redirect_after_post(url_for("operator.job_detail", job_id=job.id))
    return _job_form(form, customer, None)


def _load_job(job_id: int) -> Job:
    return get_for_company_or_404(Job, job_id, *jobs.detail_options())


def _status_choices(job: Job) -> list[SelectChoice]:
    moves = [(target.value, jobs.STATUS_LABELS[target]) for target in jobs.allowed_moves(job)]
    return options([("", "Choose…"), *moves]) if moves else []


def _panel(job: Job, status: int = 200, **forms):
    """The job page (or for htmx its panel) with its action forms, or those given."""
    zone = company_zone(g.company)
    assign = forms.get("assign") or AssignForm(technician_id=job.technician_id)
    if not assign.technician_id.choices:
        assign.technician_id.choices = staff_choices(jobs.assignable_staff(g.company.id))
    status_form = forms.get("status_form") or StatusForm()
    status_form.status.choices = _status_choices(job)
    schedule = forms.get("schedule") or ScheduleForm(
        window_start=to_local(job.window_start, zone), window_end=to_local(job.window_end, zone)
    )
    odometer = job.vehicle.odometer if job.vehicle else None
    return render(
        page="operator/jobs/detail.html",
        fragment="partials/operator/_job_panel.html",
        status=status,
        job=job,
        status_labels=jobs.STATUS_LABELS,
        assign=assign,
        status_form=status_form,
        schedule=schedule,
        complete=forms.get("complete") or CompleteForm(odometer=odometer),
        completable=jobs.is_completable(job),
    )


@bp.get("/jobs/<int:job_id>")
@require(Capability.WORK_JOBS)
def job_detail(job_id: int):
    return _panel(_load_job(job_id))


@bp.get("/jobs/<int:job_id>/edit")
@require(Capability.PLAN_JOBS)
def edit_job(job_id: int):
    job = _load_job(job_id)
    form = JobForm(obj=job)
    form.show_window(job, company_zone(g.company))
    form.offer(jobs.form_options(job.customer))
    return _job_form(form, job.customer, job)


@bp.post("/jobs/<int:job_id>/edit")
@require(Capability.PLAN_JOBS)
def save_job(job_id: int):
    job = _load_job(job_id)
    form = JobForm()
    form.offer(jobs.form_options(job.customer))
    if form.validate():
        try:
            jobs.update_job(job, by=g.staff, **form.values(company_zone(g.company)))
        except RuleError as error:
            show_errors(form, error, "window_end")
        else:
            flash(f"Job #{job.number} saved.", "success")
            return redirect_after_post(url_for("operator.job_detail", job_id=job.id))
    return _job_form(form, job.customer, job)


def _act(job: Job, action, form_name: str, form, success: str):
    """Run one job rule: the updated job, or the panel with the form and message (422)."""
    try:
        action()
    except RuleError as error:
        flash(error.message, "error")
        return _panel(job, status=422, **{form_name: form})
    flash(success, "success")
    if not is_fragment_request():
        return redirect_after_post(url_for("operator.job_detail", job_id=job.id))
    return _panel(job)


@bp.post("/jobs/<int:job_id>/schedule")
@require(Capability.PLAN_JOBS)
def schedule_job(job_id: int):
    job = _load_job(job_id)
    form = ScheduleForm()
    if not form.validate():
        return _panel(job, status=422, schedule=form)
    start, end = form.window(company_zone(g.company))
    return _act(
        job,
        lambda: jobs.schedule_job(job, start, end, by=g.staff),
        "schedule",
        form,
        "Window saved.",
    )


@bp.post("/jobs/<int:job_id>/assign")
@require(Capability.PLAN_JOBS)
def assign_job(job_id: int):
    job = _load_job(job_id)
    form = AssignForm()
    form.technician_id.choices = staff_choices(jobs.assignable_staff(g.company.id))
    if not form.validate():
        return _panel(job, status=422, assign=form)
    chosen = form.technician_id.data
    technician = get_for_company_or_404(StaffUser, chosen) if chosen else None
    return _act(
        job,
        lambda: jobs.assign_job(job, technician, by=g.staff),
        "assign",
        form,
        "Technician saved.",
    )


@bp.post("/jobs/<int:job_id>/status")
@require(Capability.WORK_JOBS)
def job_status(job_id: int):
    job = _load_job(job_id)
    form = StatusForm()
    form.status.choices = _status_choices(job)
    if not form.validate():
        return _panel(job, status=422, status_form=form)
    target = JobStatus(form.status.data)
    return _act(
        job,
        lambda: jobs.change_status(job, target, by=g.staff),
        "status_form",
        form,
        f"Job #{job.number} is now {jobs.STATUS_LABELS[target].lower()}.",
    )


@bp.post("/jobs/<int:job_id>/complete")
@require(Capability.WORK_JOBS)
def complete_job(job_id: int):
    job = _load_job(job_id)
    form = CompleteForm()
    if not form.validate():
        return _panel(job, status=422, complete=form)
    return _act(
        job,
        lambda: jobs.complete_job(
            job,
            odometer=form.odometer.data,
            services_performed=form.services_performed.data,
            by=g.staff,
            company=g.company,
        ),
        "complete",
        form,
        f"Job #{job.number} completed.",
    )
