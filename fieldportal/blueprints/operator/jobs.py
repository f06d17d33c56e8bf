"""Jobs (work orders): list, create, edit, schedule, assign, status moves, complete."""

from datetime import UTC, datetime

from flask import flash, g, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from wtforms import (
    DateTimeLocalField,
    IntegerField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from ...extensions import db
from ...htmx import is_fragment_request, redirect_after_post, render
from ...models import (
    Asset,
    Capability,
    Customer,
    Job,
    JobStatus,
    JobStatusChange,
    JobType,
    Site,
    StaffUser,
    Vehicle,
)
from ...services.clock import company_zone
from ...services.jobs import (
    STATUS_LABELS,
    JobQuery,
    JobRuleError,
    allowed_moves,
    assign_job,
    change_status,
    complete_job,
    create_job,
    is_completable,
    job_list,
    schedule_job,
    update_job,
)
from . import bp
from .access import get_for_company_or_404, require
from .forms import ChoiceField


def to_utc(value: datetime | None) -> datetime | None:
    """A naive local datetime from the form, read in the company's zone, as UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=company_zone(g.company)).astimezone(UTC)


def to_local(value: datetime | None) -> datetime | None:
    return value.astimezone(company_zone(g.company)).replace(tzinfo=None) if value else None


def plausible_year(form, field):
    """Refuse years no job is booked in (9999-12-31 would overflow converting to UTC)."""
    if field.data and not 2000 <= field.data.year <= 2999:
        raise ValidationError("Enter a date between the years 2000 and 2999.")


class WindowMixin:
    window_start = DateTimeLocalField(
        "Window starts", format="%Y-%m-%dT%H:%M", validators=[Optional(), plausible_year]
    )
    window_end = DateTimeLocalField(
        "Window ends", format="%Y-%m-%dT%H:%M", validators=[Optional(), plausible_year]
    )

    def validate_window_end(self, field):
        start, end = self.window_start.data, field.data
        if (start is None) != (end is None):
            raise ValidationError("Give both the start and the end of the window, or neither.")
        if start and end and end <= start:
            raise ValidationError("The window must end after it starts.")


class JobForm(WindowMixin, FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=160)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])
    job_type_id = ChoiceField("Job type")
    site_id = ChoiceField("Site")
    vehicle_id = ChoiceField("Vehicle")
    asset_id = ChoiceField("Asset")
    technician_id = ChoiceField("Technician")
    po_number = StringField("Customer PO number", validators=[Optional(), Length(max=60)])
    customer_notes = TextAreaField(
        "Notes the customer sees", validators=[Optional(), Length(max=5000)]
    )
    internal_notes = TextAreaField("Internal notes", validators=[Optional(), Length(max=5000)])

    FIELDS = (
        "title",
        "description",
        "job_type_id",
        "site_id",
        "vehicle_id",
        "asset_id",
        "technician_id",
        "po_number",
        "customer_notes",
        "internal_notes",
    )

    def values(self) -> dict:
        values = {name: getattr(self, name).data for name in self.FIELDS}
        for name in ("description", "po_number", "customer_notes", "internal_notes"):
            values[name] = (values[name] or "").strip() or None
        values["window_start"] = to_utc(self.window_start.data)
        values["window_end"] = to_utc(self.window_end.data)
        return values


class CustomerPickForm(FlaskForm):
    class Meta:
        csrf = False

    customer_id = ChoiceField("Customer")


class ScheduleForm(WindowMixin, FlaskForm):
    def validate_window_start(self, field):
        if field.data is None:
            raise ValidationError("Choose when the window starts.")


class AssignForm(FlaskForm):
    technician_id = ChoiceField("Technician")


class StatusForm(FlaskForm):
    status = ChoiceField(
        "New status", coerce=str, validators=[DataRequired(message="Choose the new status.")]
    )


class CompleteForm(FlaskForm):
    odometer = IntegerField(
        "Odometer at service",
        validators=[
            Optional(),
            NumberRange(min=0, message="The odometer cannot be negative."),
            NumberRange(max=10_000_000, message="That odometer reading is too large."),
        ],
    )
    services_performed = TextAreaField(
        "Services performed", validators=[DataRequired(), Length(max=5000)]
    )


def _staff_choices():
    staff = db.session.scalars(
        select(StaffUser)
        .where(StaffUser.company_id == g.company.id, StaffUser.active.is_(True))
        .order_by(StaffUser.name)
    ).all()
    return [(None, "Unassigned")] + [(s.id, f"{s.name} ({s.role.value})") for s in staff]


def _fill_choices(form: JobForm, customer: Customer) -> None:
    """Options for the selects: only this customer's sites, vehicles and assets."""

    def options(model, label, order):
        rows = db.session.scalars(
            select(model)
            .where(model.customer_id == customer.id, model.company_id == g.company.id)
            .order_by(order)
        ).all()
        return [(None, "—")] + [(row.id, label(row)) for row in rows]

    form.site_id.choices = options(Site, lambda s: s.name, Site.name)
    form.vehicle_id.choices = options(Vehicle, lambda v: v.label, Vehicle.make)
    form.asset_id.choices = options(
        Asset, lambda a: f"{a.asset_code} {a.asset_type}", Asset.asset_code
    )
    job_types = db.session.scalars(
        select(JobType)
        .where(JobType.company_id == g.company.id, JobType.active.is_(True))
        .order_by(JobType.name)
    ).all()
    form.job_type_id.choices = [(None, "—")] + [(t.id, t.name) for t in job_types]
    form.technician_id.choices = _staff_choices()


@bp.route("/jobs")
@require(Capability.WORK_JOBS)
def jobs():
    query = JobQuery.from_args(request.args)
    context = {"result": job_list(g.company, query), "status_labels": STATUS_LABELS}
    if not is_fragment_request():
        context["technicians"] = _staff_choices()[1:]
        context["filter_customer"] = (
            db.session.get(Customer, query.customer_id) if query.customer_id else None
        )
    return render(
        page="operator/jobs/index.html",
        fragment="partials/operator/_job_table.html",
        **context,
    )


@bp.route("/jobs/new", methods=["GET", "POST"])
@require(Capability.PLAN_JOBS)
def new_job():
    picker = CustomerPickForm(request.args)
    customers = db.session.execute(
        select(Customer.id, Customer.name)
        .where(Customer.company_id == g.company.id, Customer.archived_at.is_(None))
        .order_by(Customer.name)
    ).all()
    picker.customer_id.choices = [(None, "Choose a customer")] + [(c.id, c.name) for c in customers]
    if (
        "customer_id" not in request.args
        or not picker.validate()
        or picker.customer_id.data is None
    ):
        return render(
            page="operator/jobs/pick_customer.html",
            picker=picker,
            status=422 if "customer_id" in request.args else 200,
        )
    customer = get_for_company_or_404(Customer, picker.customer_id.data)
    form = JobForm()
    _fill_choices(form, customer)
    if form.validate_on_submit():
        try:
            job = create_job(g.company, by=g.staff, customer_id=customer.id, **form.values())
        except JobRuleError as error:
            form.window_end.errors.append(str(error))
        else:
            db.session.commit()
            flash(f"Job #{job.number} created.", "success")
            return redirect_after_post(url_for("operator.job_detail", job_id=job.id))
    status = 422 if form.is_submitted() else 200
    return render(
        page="operator/jobs/form.html", form=form, customer=customer, job=None, status=status
    )


def _status_choices(job: Job) -> list[tuple[str, str]]:
    moves = [(s.value, STATUS_LABELS[s]) for s in allowed_moves(job)]
    return [("", "Choose…"), *moves] if moves else []


def _load_job(job_id: int) -> Job:
    return get_for_company_or_404(
        Job,
        job_id,
        joinedload(Job.customer),
        joinedload(Job.vehicle),
        joinedload(Job.technician),
        selectinload(Job.status_changes).joinedload(JobStatusChange.changed_by),
    )


def _detail(job: Job, status: int = 200, **forms):
    assign = forms.get("assign") or AssignForm(technician_id=job.technician_id)
    assign.technician_id.choices = assign.technician_id.choices or _staff_choices()
    status_form = forms.get("status_form") or StatusForm()
    status_form.status.choices = _status_choices(job)
    schedule = forms.get("schedule") or ScheduleForm(
        window_start=to_local(job.window_start), window_end=to_local(job.window_end)
    )
    complete = forms.get("complete") or CompleteForm(
        odometer=job.vehicle.odometer if job.vehicle else None
    )
    return render(
        page="operator/jobs/detail.html",
        fragment="partials/operator/_job_panel.html",
        status=status,
        job=job,
        status_labels=STATUS_LABELS,
        assign=assign,
        status_form=status_form,
        schedule=schedule,
        complete=complete,
        completable=is_completable(job),
    )


@bp.route("/jobs/<int:job_id>")
@require(Capability.WORK_JOBS)
def job_detail(job_id: int):
    return _detail(_load_job(job_id))


@bp.route("/jobs/<int:job_id>/edit", methods=["GET", "POST"])
@require(Capability.PLAN_JOBS)
def edit_job(job_id: int):
    job = _load_job(job_id)
    form = JobForm(obj=job) if request.method == "GET" else JobForm()
    if request.method == "GET":
        form.window_start.data = to_local(job.window_start)
        form.window_end.data = to_local(job.window_end)
    _fill_choices(form, job.customer)
    if form.validate_on_submit():
        try:
            update_job(job, by=g.staff, **form.values())
        except JobRuleError as error:
            form.window_end.errors.append(str(error))
        else:
            db.session.commit()
            flash(f"Job #{job.number} saved.", "success")
            return redirect_after_post(url_for("operator.job_detail", job_id=job.id))
    status = 422 if form.is_submitted() else 200
    return render(
        page="operator/jobs/form.html", form=form, customer=job.customer, job=job, status=status
    )


def _apply(job: Job, action, form_key: str, form, success: str) -> object:
    """Run one job rule; commit and show the updated job, or 422 with the message."""
    try:
        action()
    except JobRuleError as error:
        db.session.rollback()
        job = _load_job(job.id)
        flash(str(error), "error")
        return _detail(job, status=422, **{form_key: form})
    db.session.commit()
    flash(success, "success")
    if not request.htmx:
        return redirect_after_post(url_for("operator.job_detail", job_id=job.id))
    return _detail(_load_job(job.id))


@bp.route("/jobs/<int:job_id>/schedule", methods=["POST"])
@require(Capability.PLAN_JOBS)
def schedule_job_view(job_id: int):
    job = _load_job(job_id)
    form = ScheduleForm()
    if not form.validate_on_submit():
        return _detail(job, status=422, schedule=form)
    start, end = to_utc(form.window_start.data), to_utc(form.window_end.data)
    return _apply(
        job, lambda: schedule_job(job, start, end, by=g.staff), "schedule", form, "Window saved."
    )


@bp.route("/jobs/<int:job_id>/assign", methods=["POST"])
@require(Capability.PLAN_JOBS)
def assign_job_view(job_id: int):
    job = _load_job(job_id)
    form = AssignForm()
    form.technician_id.choices = _staff_choices()
    if not form.validate_on_submit():
        return _detail(job, status=422, assign=form)
    technician = (
        get_for_company_or_404(StaffUser, form.technician_id.data)
        if form.technician_id.data
        else None
    )
    return _apply(
        job, lambda: assign_job(job, technician, by=g.staff), "assign", form, "Technician saved."
    )


@bp.route("/jobs/<int:job_id>/status", methods=["POST"])
@require(Capability.WORK_JOBS)
def job_status(job_id: int):
    job = _load_job(job_id)
    form = StatusForm()
    form.status.choices = _status_choices(job)
    if not form.validate_on_submit():
        return _detail(job, status=422, status_form=form)
    target = JobStatus(form.status.data)
    return _apply(
        job,
        lambda: change_status(job, target, by=g.staff),
        "status_form",
        form,
        f"Job #{job.number} is now {STATUS_LABELS[target].lower()}.",
    )


@bp.route("/jobs/<int:job_id>/complete", methods=["POST"])
@require(Capability.WORK_JOBS)
def complete_job_view(job_id: int):
    job = _load_job(job_id)
    form = CompleteForm()
    if not form.validate_on_submit():
        return _detail(job, status=422, complete=form)
    return _apply(
        job,
        lambda: complete_job(
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
