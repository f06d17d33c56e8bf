"""Emails sent when something happens to a customer's work: their service request arrived,
the technician set off, the job is done.

Like the reminders (services/reminders.py) each kind is switched on or off per company
(Settings → Reminders) and per address (the portal's Account tab, the unsubscribe link in
each email), and each is written with its email in the transaction of the event itself,
keyed by (kind, record, the event's moment): a retried request or a double tap sends it
once.
"""

from datetime import datetime

from sqlalchemy import inspect
from sqlalchemy.orm.attributes import set_committed_value

from ..extensions import db
from ..models import Asset, Company, Customer, Job, ReminderKind, Site, StaffUser, Vehicle
from . import recipients, reminders
from .mail import mailer


def notify(
    company: Company, kind: ReminderKind, record, moment: datetime, address: str | None, **email
) -> bool:
    """Send the ``kind`` email about ``record`` to ``address`` once, when the company sends
    that kind and the address did not stop it; True when this call sent it."""
    if address is None or not reminders.sends(company.id, kind):
        return False
    return reminders.send_once(
        kind, record, moment, address, template=kind.email_kind, company=company, **email
    )


def _with_what_the_email_shows(job: Job) -> Job:
    """The job with its customer, site, vehicle, asset and technician, each loaded where the
    caller had not (what the caller loaded stays as it was: its page still shows it)."""
    unloaded = inspect(job).unloaded
    for name, model, key in (
        ("customer", Customer, job.customer_id),
        ("site", Site, job.site_id),
        ("vehicle", Vehicle, job.vehicle_id),
        ("asset", Asset, job.asset_id),
        ("technician", StaffUser, job.technician_id),
    ):
        if name in unloaded:
            set_committed_value(job, name, db.session.get(model, key) if key else None)
    return job


def _about_job(kind: ReminderKind, job: Job, moment: datetime, subject) -> bool:
    """``subject(company, job)``: the email's subject, from the job as the email shows it."""
    job = _with_what_the_email_shows(job)
    company = db.session.get(Company, job.company_id)
    address, contact = recipients.appointment_recipient(job)
    return notify(
        company,
        kind,
        job,
        moment,
        address,
        subject=subject(company, job),
        job=job,
        contact=contact,
        portal_url=mailer.absolute_url("portal.jobs", company_slug=company.slug),
        history_url=mailer.absolute_url("portal.history", company_slug=company.slug),
    )


def technician_on_the_way(job: Job) -> bool:
    """The job just became On the way (its technician set off)."""

    def subject(company, job):
        who = job.technician.first_name if job.technician else "Your technician"
        return f"{who} from {company.name} is on the way"

    return _about_job(ReminderKind.ON_MY_WAY, job, job.status_changed_at, subject)


def job_completed(job: Job) -> bool:
    """The job was just completed: what was done, and where to find it in the portal."""
    return _about_job(
        ReminderKind.JOB_COMPLETED,
        job,
        job.completed_at,
        lambda company, job: f"Job #{job.number} completed — {company.name}",
    )
