"""Settings → Job types (manage_settings): the kinds of work the company offers."""

from flask import flash, g, url_for

from ... import transaction
from ...htmx import is_fragment_request, redirect_after_post, render
from ...models import Capability, JobType
from ...services import job_types
from ...services.errors import RuleError
from . import bp
from .access import get_for_company_or_404, require
from .forms import JobTypeForm, JobTypeSwitchForm, show_errors


def _job_types_page(form: JobTypeForm | None = None, status: int = 200):
    """The job types page; for htmx its section (the list and the form to add one)."""
    return render(
        page="operator/settings/job_types.html",
        fragment="partials/operator/_job_types.html",
        form=form or JobTypeForm(formdata=None),
        job_types=job_types.job_types(g.company),
        status=status,
    )


def _changed(message: str):
    flash(message, "success")
    if is_fragment_request():
        return _job_types_page()
    return redirect_after_post(url_for("operator.job_types_page"))


@bp.get("/settings/job-types")
@require(Capability.MANAGE_SETTINGS)
def job_types_page():
    return _job_types_page()


@bp.post("/settings/job-types")
@require(Capability.MANAGE_SETTINGS)
def add_job_type():
    form = JobTypeForm()
    if not form.validate():
        return _job_types_page(form, 422)
    try:
        job_type = job_types.add_job_type(g.company, by=g.staff, **form.values())
    except RuleError as error:
        transaction.discard()
        show_errors(form, error, "name")
        return _job_types_page(form, error.status)
    return _changed(f"“{job_type.name}” added.")


@bp.post("/settings/job-types/<int:job_type_id>")
@require(Capability.MANAGE_SETTINGS)
def switch_job_type(job_type_id: int):
    job_type = get_for_company_or_404(JobType, job_type_id)
    form = JobTypeSwitchForm()
    form.validate()
    job_types.set_active(job_type, by=g.staff, active=form.active.data)
    state = "offered again" if job_type.active else "no longer offered"
    return _changed(f"“{job_type.name}” {state}.")
