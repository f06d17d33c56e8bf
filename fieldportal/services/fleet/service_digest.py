"""The weekly service-due digest for fleet managers.

A fleet manager is a contact of a fleet who sees its vehicles and may request work. Once a
week — from Monday 7:00 in the company's time zone, or as soon after as a worker runs —
each gets the vehicles of their sites that are overdue or due soon (THE interval rule,
fleets.service_status), overdue first, each with a link that opens a service request for
that vehicle in the portal. No vehicle due, no email. Sent through the reminders' key
(kind, contact, the week's start): once per manager and week whoever runs the scan.
"""

from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import (
    Company,
    Contact,
    Customer,
    CustomerKind,
    PortalPermission,
    ReminderKind,
    Vehicle,
)
from .. import reminders
from ..clock import company_zone
from ..mail import mailer
from ..portal.site_scope import customer_records
from . import fleets
from .intervals import ServiceState

SENDS_FROM = time(7, 0)  # Monday morning where the company works
DUE = (ServiceState.OVERDUE, ServiceState.DUE_SOON)


def week_start(company: Company, now: datetime) -> datetime:
    """Monday 7:00 of ``now``'s week in the company's zone (the digest's key), in UTC."""
    local = now.astimezone(company_zone(company))
    monday = local.date() - timedelta(days=local.weekday())
    start = datetime.combine(monday, SENDS_FROM, tzinfo=local.tzinfo)
    if local < start:
        start -= timedelta(days=7)
    return start.astimezone(now.tzinfo)


def fleet_managers(company: Company) -> list[Contact]:
    """The company's fleet contacts who see the vehicles and may request work."""
    contacts = db.session.scalars(
        select(Contact)
        .join(Customer, Customer.id == Contact.customer_id)
        .where(
            Contact.company_id == company.id,
            Customer.kind == CustomerKind.FLEET,
            Contact.removed_at.is_(None),
            Contact.portal_access.is_(True),
            Contact.email.is_not(None),
        )
        .options(selectinload(Contact.sites), selectinload(Contact.customer))
        .order_by(Contact.id)
    )
    return [
        contact
        for contact in contacts
        if contact.may(PortalPermission.VEHICLES) and contact.may(PortalPermission.REQUESTS)
    ]


def vehicles_due(company: Company, contact: Contact) -> list["fleets.VehicleWithStatus"]:
    """The contact's active vehicles overdue or due soon, overdue first."""
    due = [
        row
        for row in fleets.vehicles_with_status(
            company, contact.customer, customer_records(contact, Vehicle)
        )
        if row.status.state in DUE
    ]
    return sorted(due, key=lambda row: DUE.index(row.status.state))


def send_digests(company: Company, now: datetime) -> int:
    """This week's digest to each fleet manager not sent one yet; how many were sent."""
    if not reminders.sends(company.id, ReminderKind.SERVICE_DUE_DIGEST):
        return 0
    week = week_start(company, now)
    managers = fleet_managers(company)
    done = reminders.sent_keys(ReminderKind.SERVICE_DUE_DIGEST, [c.id for c in managers])
    sent = 0
    for contact in managers:
        if (contact.id, week) in done:
            continue
        due = vehicles_due(company, contact)
        if due:
            sent += reminders.send_once(
                ReminderKind.SERVICE_DUE_DIGEST,
                contact,
                week,
                contact.email,
                subject=f"{len(due)} vehicle{'s' * (len(due) != 1)} due for service "
                f"— {company.name}",
                template=ReminderKind.SERVICE_DUE_DIGEST.email_kind,
                company=company,
                contact=contact,
                vehicles=due,
                request_url=lambda vehicle: mailer.absolute_url(
                    "portal.new_request", company_slug=company.slug, vehicle_id=vehicle.id
                ),
                vehicles_url=mailer.absolute_url("portal.vehicles", company_slug=company.slug),
            )
    return sent
