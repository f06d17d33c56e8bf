"""My day: a technician's jobs of today on the phone, and the buttons that move one on.

Each button is a plain form POST (htmx, when it runs, swaps only that job's card) that is
safe to repeat: the services treat a step already taken as done. A job that is not the
signed-in staff member's own answers 404 to every action, whatever the company setting
about seeing all jobs.
"""

from flask import abort, flash, g, url_for

from ...htmx import is_fragment_request, redirect_after_post, render
from ...models import Capability, JobStatus
from ...services.errors import RuleError
from ...services.work import jobs, my_day
from . import bp
from .access import require
from .forms import CompleteForm, StepForm


def _complete_form(job, *, submitted: bool = False) -> CompleteForm:
    """A job's completion form; its fields are prefixed, as a day may show several."""
    prefix = f"job-{job.id}"
    if submitted:
        return CompleteForm(prefix=prefix)
    odometer = job.vehicle.odometer if job.vehicle else None
    return CompleteForm(formdata=None, prefix=prefix, odometer=odometer)


def _answer(job, status: int = 200, form: CompleteForm | None = None):
    """The day's page, or for htmx the job's card; ``form`` is a refused completion form."""
    cards = my_day.day_cards(g.company, g.staff)
    forms = {card.job.id: _complete_form(card.job) for card in cards if card.mine}
    if job is not None and form is not None:
        forms[job.id] = form
    return render(
        page="operator/my_day/index.html",
        fragment=f"partials/operator/_day_{'card' if job else 'list'}.html",
        status=status,
        cards=cards,
        card=my_day.card(job, g.staff) if job is not None else None,
        complete_forms=forms,
        buttons=my_day.STEP_BUTTONS,
        stamp_labels=my_day.STAMP_LABELS,
        status_labels=jobs.STATUS_LABELS,
    )


@bp.get("/my-day")
@require(Capability.WORK_JOBS)
def my_day_page():
    return _answer(None)


def _own_job(job_id: int):
    job = my_day.own_job(g.company, g.staff, job_id)
    if job is None:
        abort(404)
    return job


def _done(job, message: str):
    flash(message, "success")
    if is_fragment_request():
        return _answer(job)
    return redirect_after_post(url_for("operator.my_day_page", _anchor=f"job-{job.id}"))


@bp.post("/my-day/jobs/<int:job_id>/step")
@require(Capability.WORK_JOBS)
def my_day_step(job_id: int):
    job = _own_job(job_id)
    form = StepForm()
    try:
        if not form.validate():
            raise RuleError(" ".join(form.step.errors))
        step = JobStatus(form.step.data)
        my_day.take_step(job, step, by=g.staff)
    except RuleError as error:
        flash(error.message, "error")
        return _answer(job, status=422)
    return _done(job, f"Job #{job.number}: {my_day.STEP_BUTTONS[step].lower()}.")


@bp.post("/my-day/jobs/<int:job_id>/complete")
@require(Capability.WORK_JOBS)
def my_day_complete(job_id: int):
    job = _own_job(job_id)
    form = _complete_form(job, submitted=True)
    if form.validate():
        try:
            my_day.finish(
                job,
                odometer=form.odometer.data,
                services_performed=form.services_performed.data,
                by=g.staff,
                company=g.company,
            )
        except RuleError as error:
            form.form_errors.append(error.message)
        else:
            return _done(job, f"Job #{job.number} completed.")
    return _answer(job, status=422, form=form)
