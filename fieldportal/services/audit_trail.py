"""The company's audit log as people read it: every event of the company's own trail and
the platform's actions on the company, newest first, each as one sentence (who, what, on
which record), filterable by kind, person and date, and exported whole as CSV.

``SENTENCES`` is the one place an action is given words: ``audit.record`` refuses an
action it does not name, so a new kind of event cannot reach the log unreadable."""

from __future__ import annotations

import string
from collections import defaultdict, namedtuple
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, String, literal, null, select, union_all

from ..extensions import db
from ..formatting import money
from ..models import (
    Asset,
    AuditEvent,
    Company,
    Contact,
    Customer,
    ImportKind,
    ImportUpload,
    Invoice,
    Job,
    JobType,
    PlatformAuditEvent,
    Quote,
    Report,
    ServiceRequest,
    Site,
    StaffUser,
    Vehicle,
)
from ..pagination import Key, ListQuery, Page, paginate_after

EVENTS_PER_PAGE = 50


@dataclass(frozen=True)
class Sentence:
    kind: str
    # What the actor did, e.g. "sent {record}"; {record} is the event's subject, {customer}
    # its customer, {amount} its amount_cents as money, any other name one of its details.
    phrase: str


KINDS = {
    "staff": "Staff and sign-in",
    "settings": "Settings",
    "customers": "Customers and their records",
    "work": "Jobs, requests and reports",
    "documents": "Quotes and invoices",
    "payments": "Payments",
    "portal": "Portal access",
    "imports": "Imports and exports",
    "platform": "Company and platform",
}


def _of(kind: str, **phrases: str) -> dict[str, Sentence]:
    return {action: Sentence(kind, phrase) for action, phrase in phrases.items()}


SENTENCES: dict[str, Sentence] = {
    **_of(
        "staff",
        **{
            "staff.created": "added a staff account for {record}",
            "staff.invited": "invited {record} to join the team",
            "staff.invite_accepted": "accepted their invitation and joined the team",
            "staff.invite_resent": "sent {record} a new invitation",
            "staff.invite_revoked": "withdrew {record}'s invitation",
            "staff.locked_out": "was locked out after too many wrong passwords",
            "staff.password_changed": "changed their password",
            "staff.password_chosen": "chose their password",
            "staff.password_reset": "set a new password with an emailed reset link",
            "staff.password_reset_requested": "asked for a password reset link",
            "staff.recovery_codes_renewed": "made new two-factor recovery codes",
            "staff.renamed": "changed their name",
            "staff.signed_in": "signed in",
            "staff.signed_out": "signed out",
            "staff.two_factor_off": "turned two-factor sign-in off",
            "staff.two_factor_on": "turned two-factor sign-in on",
            "staff.updated": "changed {record}'s staff account",
        },
    ),
    **_of(
        "settings",
        **{
            "settings.updated": "changed the company settings",
            "settings.logo_uploaded": "uploaded a new logo",
            "settings.two_factor_policy": "changed who must use two-factor sign-in",
            "reminders.updated": "changed the reminder settings",
            "job_type.created": "added the job type {record}",
            "job_type.updated": "changed the job type {record}",
            "onboarding.dismissed": "put away the getting-started checklist",
            "outbox.retried": "sent an email from the outbox again",
        },
    ),
    **_of(
        "customers",
        **{
            "customer.created": "added the customer {record}",
            "customer.updated": "changed {record}'s details",
            "customer.converted_to_fleet": "made {record} a fleet account",
            "customer.job_types_set": "chose the job types {record} may request",
            "customer.erased": "erased a customer's personal data on request",
            "contact.added": "added the contact {record} at {customer}",
            "contact.updated": "changed the contact {record} at {customer}",
            "contact.removed": "removed the contact {record} at {customer}",
            "contact.reminders_updated": "changed the reminders {record} at {customer} gets",
            "site.added": "added the site {record} for {customer}",
            "site.updated": "changed the site {record} of {customer}",
            "vehicle.added": "added the vehicle {record} for {customer}",
            "vehicle.updated": "changed the vehicle {record} of {customer}",
            "asset.added": "added the asset {record} for {customer}",
            "asset.updated": "changed the asset {record} of {customer}",
            "asset.defect_recorded": "recorded a defect on {record} of {customer}",
            "asset.test_recorded": "recorded a test of {record} of {customer}",
        },
    ),
    **_of(
        "work",
        **{
            "job.created": "created {record} for {customer}",
            "job.updated": "changed {record} for {customer}",
            "job.scheduled": "scheduled {record} for {customer}",
            "job.assigned": "assigned {record} for {customer}",
            "job.status_changed": "moved {record} for {customer} to a new status",
            "job.completed": "completed {record} for {customer}",
            "request.submitted": "asked for work ({record})",
            "request.approved": "approved {record} from {customer}",
            "request.declined": "declined {record} from {customer}",
            "report.created": "wrote {record} for {customer}",
            "report.approved": "approved {record} for {customer}",
        },
    ),
    **_of(
        "documents",
        **{
            "quote.created": "wrote {record} for {customer}",
            "quote.sent": "sent {record} to {customer}",
            "quote.converted": "turned {record} for {customer} into a job",
            "quote.accepted": "accepted {record} (revision {revision})",
            "quote.rejected": "declined {record} (revision {revision})",
            "quote.changes_requested": "asked for changes to {record} (revision {revision})",
            "invoice.created": "wrote {record} for {customer}",
            "invoice.sent": "sent {record} to {customer}",
            "invoice.voided": "voided {record} for {customer}",
        },
    ),
    **_of(
        "payments",
        **{
            "invoice.payment_recorded": "recorded a payment of {amount} on {record}",
            "payment.checkout_started": "started paying {record} online",
            "payment.received": "received a payment of {amount} on {record}",
            "payment.held": "held a payment on {record} for review",
            "payment.refunded": "refunded {amount} on {record}",
        },
    ),
    **_of(
        "portal",
        **{
            "portal.access_ended": "ended {record}'s portal access",
            "portal.activation_sent": "sent {record} an invitation to the portal",
            "portal.company_access_ended": "closed the customer portal for everyone",
            "portal.link_requested_without_account": (
                "asked for a sign-in link for an address with no portal account"
            ),
            "portal.link_sent": "sent {record} a sign-in link",
            "portal.locked_out": "was locked out of the portal after too many wrong tries",
            "portal.password_changed": "changed their portal password",
            "portal.password_set_by_staff": "set a portal password for {record}",
            "portal.pin_set": "set a portal PIN for {record}",
            "portal.sign_in_methods_switched_off": "switched portal sign-in methods off",
            "portal.signed_in": "signed in to the portal",
            "portal.signed_out": "signed out of the portal",
            "portal.viewed_as": "viewed the portal as {record}",
            "fleet.portal_enabled": "turned on {record}'s fleet portal link",
            "fleet.portal_disabled": "turned off {record}'s fleet portal link",
            "fleet.portal_link_emailed": "emailed {record}'s fleet portal link",
            "fleet.portal_token_regenerated": "made a new fleet portal link for {record}",
        },
    ),
    **_of(
        "imports",
        **{
            f"import.{kind.value}": f"imported {kind.value} from {{filename}}"
            for kind in ImportKind
        },
        **{"customer.exported": "exported everything held about {record}"},
    ),
    **_of(
        "platform",
        **{
            "company.created": "signed the company up",
            "company.confirmed": "confirmed the company's sign-up",
            "company.signup_with_address_in_use": (
                "tried to sign up another company with an address already in use"
            ),
            "company.suspended": "suspended the company",
            "company.resumed": "lifted the company's suspension",
            "company.plan_changed": "moved the company from the {before} plan to {after}",
        },
    ),
}


def is_known(action: str) -> bool:
    return action in SENTENCES


@dataclass(frozen=True, kw_only=True)
class AuditQuery(ListQuery):
    """The log's filters: a kind of KINDS, one staff member (``person``, an id) and a range
    of days in the company's time zone, newest first."""

    SORTS = ("when",)
    DEFAULT_DIRECTION = "desc"

    kind: str = ""
    person: int | None = None
    since: date | None = None
    until: date | None = None

    @classmethod
    def from_args(cls, args) -> AuditQuery:
        kind = args.get("kind", "")
        person = args.get("person", "")
        return cls(
            **cls.list_args(args),
            kind=kind if kind in KINDS else "",
            person=int(person) if person.isdigit() and len(person) < 10 else None,
            since=_day(args.get("since")),
            until=_day(args.get("until")),
        )

    def filter_params(self) -> dict:
        return {
            "kind": self.kind,
            "person": self.person or "",
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
        }


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None  # a mistyped date filters nothing rather than failing the page


@dataclass(frozen=True)
class Entry:
    """One line of the log."""

    at: datetime
    who: str
    kind: str
    sentence: str
    ip_address: str | None
    record_label: str | None
    record_url: tuple[str, dict] | None  # (endpoint, arguments) of the record's page


@dataclass(frozen=True)
class _Reader:
    """What the log needs of the company, read before a CSV streams (by then the commit
    point has closed the session the company came from); formatting.money reads it as it
    reads a company."""

    id: int
    time_zone: str
    currency: str
    locale: str

    @classmethod
    def of(cls, company: Company) -> _Reader:
        return cls(company.id, company.time_zone, company.currency, company.locale)


def _trail(company: _Reader) -> Select:
    """Both trails as one: the company's events and the platform's on the company."""
    ours = select(
        AuditEvent.created_at.label("at"),
        literal("company", String).label("source"),
        AuditEvent.id.label("id"),
        AuditEvent.action,
        AuditEvent.summary,
        AuditEvent.details,
        AuditEvent.ip_address,
        AuditEvent.staff_user_id,
        AuditEvent.contact_id,
        AuditEvent.customer_id,
        AuditEvent.object_type,
        AuditEvent.object_id,
    ).where(AuditEvent.company_id == company.id)
    platform = select(
        PlatformAuditEvent.created_at,
        literal("platform", String),
        PlatformAuditEvent.id,
        PlatformAuditEvent.action,
        PlatformAuditEvent.summary,
        PlatformAuditEvent.details,
        PlatformAuditEvent.ip_address,
        *(null() for _ in range(5)),
    ).where(PlatformAuditEvent.company_id == company.id)
    return union_all(ours, platform).subquery("trail")


def _filtered(company: _Reader, query: AuditQuery):
    trail = _trail(company)
    statement = select(trail)
    if query.kind:
        actions = [action for action, said in SENTENCES.items() if said.kind == query.kind]
        statement = statement.where(trail.c.action.in_(actions))
    if query.person:
        statement = statement.where(trail.c.staff_user_id == query.person)
    zone = ZoneInfo(company.time_zone)
    if query.since:
        statement = statement.where(trail.c.at >= datetime.combine(query.since, time(), zone))
    if query.until:
        next_day = datetime.combine(query.until + timedelta(days=1), time(), zone)
        statement = statement.where(trail.c.at < next_day)
    return trail, statement


def _keys(trail, query: AuditQuery) -> list[Key]:
    return [
        Key(trail.c.at, descending=query.descending, nullable=False),
        Key(trail.c.source, descending=query.descending, nullable=False),
        Key(trail.c.id, descending=query.descending, nullable=False),
    ]


def audit_log(company: Company, query: AuditQuery) -> Page[Entry]:
    """A page of the log after the query's cursor (keyset), each event as a sentence."""
    company = _Reader.of(company)
    trail, statement = _filtered(company, query)
    page = paginate_after(statement, query, keys=_keys(trail, query), per_page=EVENTS_PER_PAGE)
    row_of = namedtuple("TrailRow", trail.c.keys())
    rows = page.map(lambda values: row_of(*values))
    entries = _entries(company, rows.items)
    return rows.map(lambda row: entries[(row.source, row.id)])


def every_entry(company: Company, query: AuditQuery) -> Callable[[], Iterator[Entry]]:
    """The whole filtered log in its order, read in chunks when called (the CSV export)."""
    reader = _Reader.of(company)
    trail, statement = _filtered(reader, query)
    ordered = statement.order_by(*(key.ordering for key in _keys(trail, query)))

    def entries() -> Iterator[Entry]:
        for chunk in db.session.execute(ordered).yield_per(500).partitions():
            said = _entries(reader, chunk)
            for row in chunk:
                yield said[(row.source, row.id)]

    return entries


def staff_choices(company: Company) -> list[tuple[int, str]]:
    """The people the log can be filtered by: the company's staff, by name."""
    return [
        (staff_id, name)
        for staff_id, name in db.session.execute(
            select(StaffUser.id, StaffUser.name)
            .where(StaffUser.company_id == company.id)
            .order_by(StaffUser.name, StaffUser.id)
        )
    ]


# Each record type a subject may be: (model, its label column, its page and argument).
_RECORDS = {
    "Invoice": (Invoice, Invoice.number, "operator.invoice_detail", "invoice_id", "invoice #"),
    "Quote": (Quote, Quote.number, "operator.quote_detail", "quote_id", "quote #"),
    "Job": (Job, Job.number, "operator.job_detail", "job_id", "job #"),
    "Report": (Report, Report.number, "operator.report_detail", "report_id", "report #"),
    "ServiceRequest": (
        ServiceRequest,
        ServiceRequest.id,
        "operator.request_detail",
        "request_id",
        "request #",
    ),
    "Customer": (Customer, Customer.name, "operator.customer_detail", "customer_id", ""),
    "Vehicle": (Vehicle, Vehicle.plate, "operator.vehicle_detail", "vehicle_id", ""),
    "Asset": (Asset, Asset.asset_code, "operator.asset_detail", "asset_id", ""),
    "Contact": (Contact, Contact.name, None, None, ""),
    "Site": (Site, Site.name, None, None, ""),
    "StaffUser": (StaffUser, StaffUser.name, None, None, ""),
    "JobType": (JobType, JobType.name, None, None, ""),
    "ImportUpload": (ImportUpload, ImportUpload.filename, None, None, ""),
}


def _labels(model, column, ids) -> dict[int, str]:
    if not ids:
        return {}
    rows = db.session.execute(select(model.id, column).where(model.id.in_(ids)))
    return {row_id: str(label) for row_id, label in rows}


def _entries(company: _Reader, rows) -> dict[tuple[str, int], Entry]:
    """Sentences for these rows: the names and record labels in one query per type."""
    wanted = defaultdict(set)
    for row in rows:
        if row.object_type in _RECORDS and row.object_id is not None:
            wanted[row.object_type].add(row.object_id)
    labels = {
        name: _labels(model, column, wanted[name])
        for name, (model, column, *_rest) in _RECORDS.items()
    }
    staff = _labels(StaffUser, StaffUser.name, {r.staff_user_id for r in rows if r.staff_user_id})
    contacts = _labels(Contact, Contact.name, {r.contact_id for r in rows if r.contact_id})
    customers = _labels(Customer, Customer.name, {r.customer_id for r in rows if r.customer_id})
    entries = {}
    for row in rows:
        record_label, record_url = _record(row, labels)
        who = _who(row, staff, contacts)
        said = SENTENCES.get(row.action)
        sentence = _sentence(row, said, who, record_label, customers.get(row.customer_id), company)
        entries[(row.source, row.id)] = Entry(
            row.at,
            who,
            KINDS[said.kind] if said else "Other",
            sentence,
            row.ip_address,
            record_label,
            record_url,
        )
    return entries


def _record(row, labels) -> tuple[str | None, tuple[str, dict] | None]:
    if row.object_type not in _RECORDS or row.object_id is None:
        return None, None
    _model, _column, endpoint, argument, prefix = _RECORDS[row.object_type]
    label = labels[row.object_type].get(row.object_id)
    if label is None:
        return "a record since deleted", None
    url = (endpoint, {argument: row.object_id}) if endpoint else None
    return f"{prefix}{label}", url


def _who(row, staff, contacts) -> str:
    if row.source == "platform":
        return "fieldportal support"
    if row.staff_user_id:
        return staff.get(row.staff_user_id, "A former staff member")
    if row.contact_id:
        return f"{contacts.get(row.contact_id, 'A former contact')} (customer)"
    return ""


class _Details(dict):
    def __missing__(self, key: str) -> str:
        return "—"


def _sentence(row, said, who, record_label, customer_name, company) -> str:
    details = _Details(row.details or {})
    details["record"] = record_label or "a record"
    details["customer"] = customer_name or "a customer"
    if "amount_cents" in details:
        details["amount"] = money(details["amount_cents"], company=company)
    if said is None:
        phrase = f"did {row.action}"
    else:
        phrase = string.Formatter().vformat(said.phrase, (), details)
    sentence = f"{who} {phrase}" if who else phrase[:1].upper() + phrase[1:] + " (automatic)"
    if row.summary and row.summary.lower() not in sentence.lower():
        sentence += f" — {row.summary}"
    return sentence + ("" if sentence.endswith(".") else ".")
