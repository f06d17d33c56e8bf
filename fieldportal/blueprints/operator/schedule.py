"""The schedule board: a day of jobs in one lane per technician, and the unscheduled queue.
Each job opens, in place, a small form for its window and technician (a plain POST; htmx
swaps the board); the rules are the job page's (services/work/jobs.py)."""

from flask import flash, g, request, url_for

from ...htmx import is_fragment_request, redirect_after_post, render
from ...models import Capability, Job, StaffUser
from ...services.clock import company_zone
from ...services.errors import RuleError
from ...services.work import jobs, schedule
from . import bp
from .access import get_for_company_or_404, require
from .forms import PlanForm, staff_choices, to_local


def _plan_form(job: Job, choices, *, submitted: bool = False) -> PlanForm:
    prefix = f"plan-{job.id}"
    if submitted:
        form = PlanForm(prefix=prefix)
    else:
        zone = company_zone(g.company)
        form = PlanForm(
            formdata=None,
            prefix=prefix,
            technician_id=job.technician_id,
            window_start=to_local(job.window_start, zone),
            window_end=to_local(job.window_end, zone),
        )
    form.technician_id.choices = choices
    return form


def _board(status: int = 200, refused: PlanForm | None = None, refused_id: int | None = None):
    """The board; its jobs' forms open on demand (plan_form_page), but a refused one is
    shown in place with its messages."""
    board = schedule.day_board(g.company, schedule.board_day(g.company, request.args.get("day")))
    return render(
        page="operator/schedule/index.html",
        fragment="partials/operator/_schedule_board.html",
        status=status,
        board=board,
        planned={job.id for job in schedule.planned_jobs(board)},
        plan_forms={refused_id: refused} if refused is not None else {},
        status_labels=jobs.STATUS_LABELS,
    )


@bp.get("/schedule")
@require(Capability.PLAN_JOBS)
def schedule_board():
    return _board()


@bp.get("/schedule/jobs/<int:job_id>")
@require(Capability.PLAN_JOBS)
def plan_form_page(job_id: int):
    """A job's board form: for htmx only the form, swapped in where its link was."""
    job = get_for_company_or_404(Job, job_id)
    choices = staff_choices(jobs.assignable_staff(g.company.id))
    return render(
        page="operator/schedule/plan.html",
        fragment="partials/operator/_plan_form.html",
        job=job,
        form=_plan_form(job, choices),
        plannable=schedule.is_plannable(job),
        day=request.args.get("day"),
    )


@bp.post("/schedule/jobs/<int:job_id>")
@require(Capability.PLAN_JOBS)
def plan_on_board(job_id: int):
    job = get_for_company_or_404(Job, job_id)
    form = _plan_form(job, staff_choices(jobs.assignable_staff(g.company.id)), submitted=True)
    if not form.validate():
        return _board(422, form, job.id)
    chosen = form.technician_id.data
    technician = get_for_company_or_404(StaffUser, chosen) if chosen else None
    try:
        schedule.plan_job(job, *form.window(company_zone(g.company)), technician, by=g.staff)
    except RuleError as error:
        form.form_errors.append(error.message)
        return _board(422, form, job.id)
    flash(f"Job #{job.number} saved.", "success")
    if is_fragment_request():
        return _board()
    return redirect_after_post(url_for("operator.schedule_board", day=request.args.get("day")))
