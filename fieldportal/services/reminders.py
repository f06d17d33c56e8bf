"""Reminders to customers: appointments, overdue invoices, unanswered quotes.

Every few minutes ``send_due_reminders`` (a periodic task) finds, company by company, what
is due now and writes each reminder's ``SentReminder`` row and its email in one
transaction. The row's key — kind, object, due moment — is unique in the database, so two
schedulers, a retry or a worker killed mid-run never send one twice, and a worker that was
down catches up: what is still due when it comes back is sent then, once.

The due moment that keys each kind:
- appointment: the job's window start (rescheduling it is a new appointment), sent from
  ``timing`` hours before it until the window starts;
- overdue invoice: the due date plus the latest step passed (3, 7, 14 days by default), so a
  worker back after ten days sends the 7-day reminder, not three at once; paid or void
  invoices are not reminded;
- quote follow-up: the moment it was sent (a new revision is a new quote to follow up),
  ``timing`` days later, while it is still unanswered and valid.

A reminder whose moment passed more than CATCH_UP ago is not sent any more.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from huey import crontab
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from .. import task_queue
from ..extensions import db
from ..models import (
    Company,
    Invoice,
    InvoiceStatus,
    Job,
    JobStatus,
    Quote,
    QuoteStatus,
    ReminderKind,
    ReminderSetting,
    SentReminder,
    StaffUser,
    utcnow,
)
from ..transaction import unit_of_work
from . import audit, recipients
from .clock import company_today
from .errors import Invalid
from .fleet import service_digest
from .mail import mailer, unsubscribe

# Jobs still to happen: a reminder for a cancelled or finished one would mislead.
UPCOMING_STATUSES = (JobStatus.SCHEDULED, JobStatus.ASSIGNED)
# A reminder that could not go out in time (no worker ran) is still sent this long after it
# fell due, and no later: switching reminders on does not remind of last year's invoices.
CATCH_UP = timedelta(days=7)


@dataclass(frozen=True)
class Timing:
    default: str
    least: int
    most: int
    unit: str  # "hours before" / "days after"
    many: bool  # several steps (overdue invoices) or one


TIMINGS = {
    ReminderKind.APPOINTMENT: Timing("24", 1, 168, "hours before the window", many=False),
    ReminderKind.INVOICE_OVERDUE: Timing("3, 7, 14", 1, 365, "days after the due date", True),
    ReminderKind.QUOTE_FOLLOW_UP: Timing("3", 1, 60, "days after sending", many=False),
}
LABELS = {
    ReminderKind.APPOINTMENT: "Appointment reminder",
    ReminderKind.INVOICE_OVERDUE: "Overdue invoice reminders",
    ReminderKind.QUOTE_FOLLOW_UP: "Quote follow-up",
    # on or off, no timing: notifications (services/notifications.py) and the weekly
    # digest (services/fleet/service_digest.py)
    ReminderKind.REQUEST_RECEIVED: "Service request received",
    ReminderKind.ON_MY_WAY: "Technician on the way",
    ReminderKind.JOB_COMPLETED: "Job completed",
    ReminderKind.SERVICE_DUE_DIGEST: "Weekly service-due digest for fleet managers",
}


@dataclass(frozen=True)
class Choice:
    """What a company chose for one kind of reminder."""

    kind: ReminderKind
    enabled: bool
    steps: tuple[int, ...]  # empty for a notification (sent when its event happens)

    @property
    def timing_text(self) -> str:
        return ", ".join(str(step) for step in self.steps)


def parse_timing(kind: ReminderKind, text: str) -> tuple[int, ...]:
    """The steps written in ``text`` ("3, 7, 14"), ascending; Invalid with a field message."""
    timing = TIMINGS[kind]
    parts = [part.strip() for part in (text or "").replace(";", ",").split(",") if part.strip()]
    if not parts or not all(part.isdigit() for part in parts):
        raise Invalid(
            errors={"timing": [f"Write whole numbers of {timing.unit}, such as {timing.default}."]}
        )
    steps = tuple(sorted({int(part) for part in parts}))
    if not timing.many and len(steps) > 1:
        raise Invalid(errors={"timing": [f"One number of {timing.unit}."]})
    if len(steps) > 5:
        raise Invalid(errors={"timing": ["At most five reminders."]})
    if steps[0] < timing.least or steps[-1] > timing.most:
        raise Invalid(
            errors={"timing": [f"Between {timing.least} and {timing.most} {timing.unit}."]}
        )
    return steps


def _saved_settings(company_id: int) -> dict[ReminderKind, ReminderSetting]:
    return {
        setting.kind: setting
        for setting in db.session.scalars(
            select(ReminderSetting).where(ReminderSetting.company_id == company_id)
        )
    }


def choices(company_id: int) -> dict[ReminderKind, Choice]:
    """Every kind as the company set it, defaults for the ones it never changed."""
    saved = _saved_settings(company_id)
    result = {}
    for kind in LABELS:
        setting = saved.get(kind)
        steps = ()
        if kind in TIMINGS:
            steps = parse_timing(kind, setting.timing if setting else TIMINGS[kind].default)
        result[kind] = Choice(kind, setting.enabled if setting else True, steps)
    return result


def sends(company_id: int, kind: ReminderKind) -> bool:
    """Does the company send this kind (on unless it switched it off)?"""
    setting = _saved_settings(company_id).get(kind)
    return setting is None or setting.enabled


def timing_field(kind: ReminderKind) -> str:
    """The form field a kind's timing is typed in (its messages go there)."""
    return f"{kind.value}_timing"


def save_choices(company: Company, values: dict, *, by: StaffUser) -> None:
    """``values``: {kind: (enabled, timing text)}; every kind is checked before any is
    written, and every bad timing gets its message. A notification's text is ignored."""
    parsed, errors = {}, {}
    for kind, (enabled, text) in values.items():
        try:
            parsed[kind] = (enabled, parse_timing(kind, text) if kind in TIMINGS else ())
        except Invalid as error:
            errors[timing_field(kind)] = error.errors["timing"]
    if errors:
        raise Invalid(errors=errors)
    saved = _saved_settings(company.id)
    for kind, (enabled, steps) in parsed.items():
        setting = saved.get(kind) or ReminderSetting(company_id=company.id, kind=kind)
        setting.enabled = enabled
        setting.timing = ", ".join(str(step) for step in steps)
        db.session.add(setting)
    audit.record(
        company.id,
        "reminders.updated",
        actor=by,
        **{
            kind.value: ("on" if enabled else "off")
            + (f" ({', '.join(map(str, steps))})" if steps else "")
            for kind, (enabled, steps) in parsed.items()
        },
    )


# --- finding what is due ---------------------------------------------------------------


def _already(kind: ReminderKind, model, due_column):
    return exists().where(
        SentReminder.kind == kind,
        SentReminder.subject_id == model.id,
        SentReminder.due_at == due_column,
    )


def due_appointments(company: Company, lead_hours: int, now: datetime) -> list[Job]:
    return list(
        db.session.scalars(
            select(Job)
            .where(
                Job.company_id == company.id,
                Job.status.in_(UPCOMING_STATUSES),
                Job.window_start > now,
                Job.window_start <= now + timedelta(hours=lead_hours),
                ~_already(ReminderKind.APPOINTMENT, Job, Job.window_start),
            )
            .options(
                joinedload(Job.customer),
                joinedload(Job.site),
                joinedload(Job.vehicle),
                joinedload(Job.asset),
            )
            .order_by(Job.window_start, Job.id)
        ).unique()
    )


def _step_start(due_on: date, step: int) -> datetime:
    return datetime.combine(due_on + timedelta(days=step), time(0), tzinfo=UTC)


def due_invoice_reminders(
    company: Company, steps: tuple[int, ...], today: date
) -> list[tuple[Invoice, int]]:
    """Unpaid sent invoices whose latest passed step fell due within CATCH_UP and has not
    been reminded, each with that step."""
    candidates = []
    for index, step in enumerate(steps):
        window = timedelta(days=step) + CATCH_UP
        if index + 1 < len(steps):
            window = min(window, timedelta(days=steps[index + 1]))
        candidates += [
            (invoice, step)
            for invoice in db.session.scalars(
                select(Invoice)
                .where(
                    Invoice.company_id == company.id,
                    Invoice.status == InvoiceStatus.SENT,
                    Invoice.amount_paid_cents < Invoice.total_cents,
                    Invoice.due_on <= today - timedelta(days=step),
                    Invoice.due_on > today - window,
                )
                .options(joinedload(Invoice.customer))
                .order_by(Invoice.id)
            ).unique()
        ]
    sent = sent_keys(ReminderKind.INVOICE_OVERDUE, [invoice.id for invoice, _ in candidates])
    return [
        (invoice, step)
        for invoice, step in candidates
        if (invoice.id, _step_start(invoice.due_on, step)) not in sent
    ]


def sent_keys(kind: ReminderKind, subject_ids: list[int]) -> set[tuple[int, datetime]]:
    if not subject_ids:
        return set()
    rows = db.session.execute(
        select(SentReminder.subject_id, SentReminder.due_at).where(
            SentReminder.kind == kind, SentReminder.subject_id.in_(subject_ids)
        )
    )
    return {(subject_id, due_at) for subject_id, due_at in rows}


def due_quote_follow_ups(company: Company, days: int, now: datetime, today: date) -> list[Quote]:
    return list(
        db.session.scalars(
            select(Quote)
            .where(
                Quote.company_id == company.id,
                Quote.status == QuoteStatus.SENT,
                Quote.sent_at <= now - timedelta(days=days),
                Quote.sent_at > now - timedelta(days=days) - CATCH_UP,
                (Quote.valid_until.is_(None)) | (Quote.valid_until >= today),
                ~_already(ReminderKind.QUOTE_FOLLOW_UP, Quote, Quote.sent_at),
            )
            .options(joinedload(Quote.customer))
            .order_by(Quote.id)
        ).unique()
    )


# --- sending each once -----------------------------------------------------------------


def send_once(kind: ReminderKind, record, due_at: datetime, address: str, **email) -> bool:
    """Write the reminder's key and its email together, or neither when another worker
    wrote that key first, or the address asked for no more of this kind. True when this
    call sent it."""
    if unsubscribe.is_opted_out(record.company_id, address, kind):
        return False
    email["unsubscribe_url"] = unsubscribe.unsubscribe_url(record.company_id, address, kind)
    try:
        with db.session.begin_nested():
            db.session.add(
                SentReminder(
                    company_id=record.company_id,
                    kind=kind,
                    subject_id=record.id,
                    due_at=due_at,
                    to_address=address,
                )
            )
            db.session.flush()
            mailer.queue(to=address, kind=kind.email_kind, related=record, **email)
            db.session.flush()
    except IntegrityError as error:
        if "sent_reminders" not in str(error.orig):
            raise
        return False
    return True


def _remind_appointment(company: Company, job: Job) -> bool:
    address, contact = recipients.appointment_recipient(job)
    if address is None:
        return False
    return send_once(
        ReminderKind.APPOINTMENT,
        job,
        job.window_start,
        address,
        subject=f"Reminder: {company.name} visit {_short_day(job.window_start, company)}",
        template="appointment_reminder",
        company=company,
        job=job,
        contact=contact,
        portal_url=mailer.absolute_url("portal.jobs", company_slug=company.slug),
    )


def _short_day(moment: datetime, company: Company) -> str:
    from ..formatting import local_date

    return local_date(moment, "medium", company)


def _remind_about_document(company: Company, kind: ReminderKind, document, due_at, subject):
    """An invoice or quote reminder, to whom the document itself went (invoice_recipient),
    leading to the document in the portal."""
    address, contact = recipients.invoice_recipient(document.customer)
    if address is None:
        return False
    noun = "invoice" if isinstance(document, Invoice) else "quote"
    return send_once(
        kind,
        document,
        due_at,
        address,
        subject=subject,
        template=f"{kind.value}_reminder",
        company=company,
        contact=contact,
        portal_url=mailer.absolute_url(
            f"portal.{noun}_detail", company_slug=company.slug, **{f"{noun}_id": document.id}
        ),
        **{noun: document},
    )


def _remind_invoice(company: Company, invoice: Invoice, step: int) -> bool:
    return _remind_about_document(
        company,
        ReminderKind.INVOICE_OVERDUE,
        invoice,
        _step_start(invoice.due_on, step),
        f"Reminder: invoice #{invoice.number} from {company.name} is overdue",
    )


def _remind_quote(company: Company, quote: Quote) -> bool:
    return _remind_about_document(
        company,
        ReminderKind.QUOTE_FOLLOW_UP,
        quote,
        quote.sent_at,
        f"Quote #{quote.number} from {company.name} is waiting for your answer",
    )


def send_company_reminders(company: Company, now: datetime) -> int:
    """Every reminder of this company due at ``now``; how many were sent."""
    chosen = choices(company.id)
    today = company_today(company, now)
    sent = 0
    appointment = chosen[ReminderKind.APPOINTMENT]
    if appointment.enabled:
        for job in due_appointments(company, appointment.steps[0], now):
            sent += _remind_appointment(company, job)
    overdue = chosen[ReminderKind.INVOICE_OVERDUE]
    if overdue.enabled:
        for invoice, step in due_invoice_reminders(company, overdue.steps, today):
            sent += _remind_invoice(company, invoice, step)
    follow_up = chosen[ReminderKind.QUOTE_FOLLOW_UP]
    if follow_up.enabled:
        for quote in due_quote_follow_ups(company, follow_up.steps[0], now, today):
            sent += _remind_quote(company, quote)
    return sent + service_digest.send_digests(company, now)


def reminding_companies() -> list[Company]:
    """The companies that send reminders: every one not suspended."""
    return list(
        db.session.scalars(
            select(Company).where(Company.suspended_at.is_(None)).order_by(Company.id)
        )
    )


def send_due_reminders(now: datetime | None = None) -> int:
    """Every company's due reminders, in the caller's transaction."""
    now = now or utcnow()
    return sum(send_company_reminders(company, now) for company in reminding_companies())


@task_queue.periodic(crontab(minute="*/5"), period=timedelta(minutes=5))
def remind_customers() -> None:
    # One transaction per company: a company's reminders are committed as soon as they
    # are written (a short write on SQLite), and one company's failure leaves the others'.
    now = utcnow()
    for company_id in [company.id for company in reminding_companies()]:
        with unit_of_work():
            send_company_reminders(db.session.get(Company, company_id), now)
