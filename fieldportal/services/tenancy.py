"""Loading a company by its slug, and one row by the id a URL names, kept to one company."""

from sqlalchemy import select

from ..extensions import db
from ..models import Company

# PostgreSQL's INTEGER raises on a larger id; such an id names nothing.
LARGEST_ID = 2**31 - 1


def company_record(company_id: int, model, object_id: int, *options):
    """The ``model`` row with this id when it belongs to the company; None otherwise
    (another company's id is as unknown as one that does not exist). ``options``: loader
    options for what the page shows with it."""
    if not 0 < object_id <= LARGEST_ID:
        return None
    record = db.session.get(model, object_id, options=options or None)
    if record is None or record.company_id != company_id:
        return None
    return record


def company_by_slug(slug: str) -> Company | None:
    """The company with this slug (its portal is at /portal/<slug>/), or None."""
    return db.session.scalar(select(Company).where(Company.slug == slug))
