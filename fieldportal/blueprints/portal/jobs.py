"""Active jobs: what is scheduled or under way, refreshing itself while the tab is visible
(an unchanged list answers 304: fieldportal/live_updates.py)."""

from flask import Response, abort, g
from sqlalchemy.orm import joinedload

from ...htmx import render
from ...live_updates import polled
from ...models import Job, PortalPermission
from ...services.portal import portal_records
from . import bp
from .access import get_for_customer_or_404, require_permission


@bp.get("/jobs")
@require_permission(PortalPermission.JOBS)
@polled
def jobs():
    return render(
        "portal/jobs.html",
        fragment="partials/portal/_active_jobs.html",
        jobs=portal_records.active_jobs(g.principal),
    )


@bp.get("/jobs/<int:job_id>/calendar.ics")
@require_permission(PortalPermission.JOBS)
def job_calendar(job_id):
    job = get_for_customer_or_404(Job, job_id, joinedload(Job.site))
    event = portal_records.job_calendar(g.company, job)
    if event is None:
        abort(404)
    return Response(
        event,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="job-{job.number}.ics"'},
    )
