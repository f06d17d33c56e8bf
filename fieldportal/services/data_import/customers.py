"""Importing customers, each with its billing address and first contact.

A row is the customer of the same external reference, else the one of the same name and
email (a customer found that way without a reference gets the file's), else a new one.
Its contact is the customer's contact of the same email (else of the same name); a new
one is the customer's admin when it is its first.
"""

from collections import defaultdict

from ...models import BillingTerms, Company, Contact, Customer, CustomerKind
from .. import phones
from .plan import (
    Change,
    Outcomes,
    changed_fields,
    company_rows,
    given,
    insert_rows,
    shown,
    write_rows,
)
from .rows import Column, Row

COLUMNS = (
    Column(
        "external_ref",
        "C-1001",
        aliases=("reference", "customer_ref", "account_number"),
        help="Your number for the customer elsewhere; a re-import matches on it.",
    ),
    Column("name", "Harbour Logistics Ltd", required=True),
    Column("kind", "fleet", help="consumer, fleet or account (consumer when empty)."),
    Column("email", "accounts@harbour.example"),
    Column("phone", "+1 312 555 0100"),
    Column("billing_address", "1 Dock Road, Springfield IL 62701"),
    Column("billing_terms", "net_30", help="on_completion, net_15 or net_30."),
    Column("notes", ""),
    Column("contact_name", "Dana Reyes", help="The customer's first contact."),
    Column("contact_email", "dana@harbour.example"),
    Column("contact_phone", "+1 312 555 0101"),
)
KINDS = {kind.value: kind for kind in CustomerKind}
TERMS = {
    **{terms.value: terms for terms in BillingTerms},
    "on completion": BillingTerms.ON_COMPLETION,
    "net 15": BillingTerms.NET_15,
    "net 30": BillingTerms.NET_30,
}
CUSTOMER_FIELDS = (
    "external_ref",
    "name",
    "kind",
    "email",
    "phone",
    "billing_address",
    "billing_terms",
    "notes",
)


class _Existing:
    """The company's customers and contacts, read once for the whole file."""

    def __init__(self, company: Company):
        self.by_ref = {}
        self.by_name_email = defaultdict(list)
        for customer in company_rows(Customer, company, CUSTOMER_FIELDS):
            if customer["external_ref"]:
                self.by_ref[customer["external_ref"]] = customer
            self.by_name_email[_name_email(customer["name"], customer["email"])].append(customer)
        contacts = company_rows(
            Contact, company, ("customer_id", "name", "email", "phone", "removed_at")
        )
        self.contact_by_email = {}
        self.contact_by_phone = {}
        self.contacts_of = defaultdict(list)
        for contact in contacts:
            if contact["email"]:
                self.contact_by_email[contact["email"].lower()] = contact
            if contact["phone"]:
                self.contact_by_phone[contact["phone"]] = contact
            if contact["removed_at"] is None:
                self.contacts_of[contact["customer_id"]].append(contact)


def _name_email(name: str, email: str | None) -> tuple[str, str]:
    return name.lower(), (email or "").lower()


def plan_rows(company: Company, rows: list[Row]):
    """The outcomes of the rows and the function that writes them."""
    region = phones.home_region(company)
    existing = _Existing(company)
    outcomes = Outcomes()
    new_customers = []
    # ((True, index in new_customers) or (False, an existing customer's id), contact)
    new_contacts = []
    customer_updates, contact_updates = [], []

    def show(value):
        return phones.shown(value, company) if str(value).startswith("+") else shown(value)

    for row in rows:
        fields = {
            "external_ref": row.text("external_ref", 60),
            "name": row.text("name", 160, required=True),
            "kind": row.choice("kind", KINDS),
            "email": row.email("email"),
            "phone": row.phone("phone", region),
            "billing_address": row.text("billing_address", 300),
            "billing_terms": row.choice("billing_terms", TERMS),
            "notes": row.text("notes", 5000),
        }
        contact = _contact_cells(row, region)
        ref = fields["external_ref"]
        what = "external_ref" if ref else "name"
        if ref or fields["name"]:
            key = ("ref", ref) if ref else _name_email(fields["name"], fields["email"])
            outcomes.first_time(row, key, what, "external reference" if ref else "name and email")
        if contact:
            _contact_once(row, outcomes, contact)
        if not row.ok:
            continue
        match = _match(row, existing, fields)
        if match is not None:
            outcomes.first_time(row, ("customer", match["id"]), what, "customer")
        if not row.ok:
            continue
        label = fields["name"] + (f" ({ref})" if ref else "")
        if match is None:
            customer = _new_customer(company, fields)
            if contact:
                if not _contact_free(row, existing, contact, None):
                    continue
                new_contacts.append(
                    ((True, len(new_customers)), _new_contact(company, contact, True))
                )
            new_customers.append(customer)
            outcomes.create(row, label)
            continue
        wanted = given(fields)
        if wanted.get("kind") not in (None, match["kind"]):
            row.error(
                "kind", f"is {match['kind'].value} here; change a customer's kind on its page."
            )
            continue
        if (wanted.get("email") or "").lower() == (match["email"] or "").lower():
            wanted.pop("email", None)
        changed, changes = changed_fields(match, wanted, show)
        if contact:
            contact_change = _plan_contact(row, company, existing, match, contact, show)
            if contact_change is None:
                continue
            new_contact, contact_changed, more = contact_change
            if new_contact:
                new_contacts.append(((False, match["id"]), new_contact))
            if contact_changed:
                contact_updates.append(contact_changed)
            changes += more
        if changed:
            customer_updates.append({"id": match["id"], **changed})
        outcomes.update(row, label, changes)

    def write():
        created_ids = insert_rows(Customer, new_customers) if new_customers else []
        contacts = [
            {**contact, "customer_id": created_ids[owner] if is_new else owner}
            for (is_new, owner), contact in new_contacts
        ]
        write_rows(Contact, contacts, contact_updates)
        write_rows(Customer, [], customer_updates)

    return outcomes, write


def _contact_cells(row: Row, region: str) -> dict | None:
    contact = {
        "name": row.text("contact_name", 120),
        "email": row.email("contact_email"),
        "phone": row.phone("contact_phone", region),
    }
    if contact["email"]:
        contact["email"] = contact["email"].lower()
    if not any(contact.values()):
        return None
    if contact["name"] is None:
        row.error("contact_name", "is empty; a contact needs a name.")
    return contact


def _contact_once(row: Row, outcomes: Outcomes, contact: dict) -> None:
    for name in ("email", "phone"):
        if contact[name]:
            outcomes.first_time(row, (name, contact[name]), f"contact_{name}", f"contact {name}")


def _match(row: Row, existing: _Existing, fields: dict):
    """The existing customer the row is, or None for a new one (a row error when the name
    and email fit several)."""
    ref = fields["external_ref"]
    if ref and ref in existing.by_ref:
        return existing.by_ref[ref]
    candidates = existing.by_name_email.get(_name_email(fields["name"], fields["email"]), [])
    if ref:
        candidates = [c for c in candidates if c["external_ref"] is None]
    if len(candidates) > 1:
        row.error(
            "name",
            f"{len(candidates)} customers have this name and email; give the one meant an "
            "external_ref on its page, then here.",
        )
        return None
    return candidates[0] if candidates else None


def _new_customer(company: Company, fields: dict) -> dict:
    customer = {
        **fields,
        "company_id": company.id,
        "kind": fields["kind"] or CustomerKind.CONSUMER,
        "billing_terms": fields["billing_terms"] or company.default_billing_terms,
    }
    # Every new customer has the same keys (plan.BATCHED says why).
    fleet = customer["kind"] == CustomerKind.FLEET
    customer["interval_miles"] = company.default_interval_miles if fleet else None
    customer["interval_days"] = company.default_interval_days if fleet else None
    return customer


def _new_contact(company: Company, contact: dict, is_admin: bool) -> dict:
    return {**contact, "company_id": company.id, "is_admin": is_admin, "permissions": []}


def _contact_free(row: Row, existing: _Existing, contact: dict, contact_id: int | None) -> bool:
    """Whether no other contact of the company has the contact's email or phone."""
    for name, known in (("email", existing.contact_by_email), ("phone", existing.contact_by_phone)):
        other = known.get(contact[name]) if contact[name] else None
        if other is not None and other["id"] != contact_id:
            row.error(f"contact_{name}", f"Another contact already uses this {name}.")
    return row.ok


def _plan_contact(row: Row, company, existing: _Existing, customer, contact: dict, show):
    """For an existing customer: (a new contact or None, the contact's update or None, the
    changes shown), or None with a row error."""
    current = existing.contacts_of.get(customer["id"], [])
    found = None
    if contact["email"]:
        found = next((c for c in current if (c["email"] or "").lower() == contact["email"]), None)
    else:
        found = next((c for c in current if c["name"].lower() == contact["name"].lower()), None)
    if not _contact_free(row, existing, contact, found["id"] if found else None):
        return None
    if found is None:
        new = _new_contact(company, contact, not current)
        return new, None, [Change("contact", "—", _contact_label(contact))]
    wanted = given({"name": contact["name"], "phone": contact["phone"]})
    changed, changes = changed_fields(found, wanted, show, prefix="contact_")
    return None, ({"id": found["id"], **changed} if changed else None), changes


def _contact_label(contact: dict) -> str:
    return " ".join(
        part for part in (contact["name"], contact["email"] and f"<{contact['email']}>") if part
    )
