"""Active jobs: what is scheduled or under way, refreshing itself while the tab is visible."""

from flask import Response, abort, g
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ...htmx import render
from ...models import Job, PortalPermission
from ...services.portal.portal_records import ACTIVE_ORDER, active_jobs
from ...services.work.calendar import job_event
from . import bp
from .access import customer_scope, get_for_customer_or_404, require_permission


@bp.route("/jobs")
@require_permission(PortalPermission.JOBS)
def jobs():
    return render(
        "portal/jobs.html",
        fragment="partials/portal/_active_jobs.html",
        jobs=active_jobs(customer_scope(select(Job), Job)),
    )


@bp.route("/jobs/<int:job_id>/calendar.ics")
@require_permission(PortalPermission.JOBS)
def job_calendar(job_id):
    job = get_for_customer_or_404(Job, job_id, joinedload(Job.site))
    if job.status not in ACTIVE_ORDER or job.window_start is None:
        abort(404)
    return Response(
        job_event(g.company, job),
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="job-{job.number}.ics"'},
    )
