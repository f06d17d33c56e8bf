"""Per-company human numbers for jobs, quotes, invoices and reports."""

from sqlalchemy import update

from ...extensions import db
from ...models import Company

_COUNTERS = {
    "job": Company.next_job_number,
    "quote": Company.next_quote_number,
    "invoice": Company.next_invoice_number,
    "report": Company.next_report_number,
}


def next_number(company_id: int, kind: str) -> int:
    """Take the next number with one atomic UPDATE … RETURNING (no read-then-write race)."""
    counter = _COUNTERS[kind]
    taken = db.session.execute(
        update(Company)
        .where(Company.id == company_id)
        .values({counter: counter + 1})
        .returning(counter - 1)
    ).scalar_one()
    return taken
