"""The schedule board: a day of jobs in one lane per technician, and the unscheduled queue.
Each job links to its page, where it is scheduled, assigned and moved on."""

from flask import g, request

from ...htmx import render
from ...models import Capability
from ...services.work import jobs, schedule
from . import bp
from .access import require


@bp.get("/schedule")
@require(Capability.PLAN_JOBS)
def schedule_board():
    day = schedule.board_day(g.company, request.args.get("day"))
    return render(
        page="operator/schedule/index.html",
        fragment="partials/operator/_schedule_board.html",
        board=schedule.day_board(g.company, day),
        status_labels=jobs.STATUS_LABELS,
    )
