"""Which records of its customer a portal principal sees: THE site-scope rule.

A whole-customer contact (and a fleet link) sees every record of its customer. A
site-scoped contact sees the records of its chosen sites and nothing else: a record with
no site belongs to whole-customer contacts only. A record's site is its ``site_id`` (a
site is its own), except that a document made for a job (a report, an invoice) is at its
job's site, so it follows the job when staff move the job.

``site_condition`` (SQL, for lists and loaders) and ``visible`` (Python, for a record
already loaded) are twins; tests/portal/test_site_scope.py keeps them equal. ``None`` as
site ids stands for "every site"; an empty set for "none of them".
"""

from sqlalchemy import case, false, select

from ...extensions import db
from ...models import Invoice, Job, Report, Site
from ..tenancy import company_record

# Documents made for a job: they are at the job's site, whatever site they were given.
JOB_DOCUMENTS = (Invoice, Report)


def scoped_site_ids(principal) -> set[int] | None:
    """None when the principal sees every site of its customer, else its site ids."""
    if getattr(principal, "all_sites", True):
        return None
    return {site.id for site in principal.sites}


def is_site_scoped(model) -> bool:
    """Whether records of ``model`` belong to a site (customers, payments… do not)."""
    return model is Site or hasattr(model, "site_id")


def _site_of_row(model):
    """The SQL expression for the site a ``model`` row is at (see the module docstring)."""
    if model is Site:
        return Site.id
    if model in JOB_DOCUMENTS:
        job_site = select(Job.site_id).where(Job.id == model.job_id).scalar_subquery()
        return case((model.job_id.is_(None), model.site_id), else_=job_site)
    return model.site_id


def site_of(record) -> int | None:
    """The site a loaded record is at: the Python twin of ``_site_of_row``."""
    if isinstance(record, Site):
        return record.id
    if isinstance(record, JOB_DOCUMENTS) and record.job_id is not None:
        return db.session.get(Job, record.job_id).site_id
    return record.site_id


def site_condition(model, site_ids: set[int] | None):
    """The SQL condition keeping ``model`` rows to those sites, or None for no limit."""
    if site_ids is None:
        return None
    # A row with no site compares NULL, so it is never in a scoped contact's sites.
    return _site_of_row(model).in_(site_ids) if site_ids else false()


def visible(record, site_ids: set[int] | None) -> bool:
    """Whether a principal seeing ``site_ids`` sees this record of its customer."""
    return site_ids is None or site_of(record) in site_ids


def limit_to_sites(query, model, site_ids: set[int] | None):
    """``query`` over ``model`` kept to the rows at those sites (unchanged for None)."""
    condition = site_condition(model, site_ids)
    return query if condition is None else query.where(condition)


def customer_record(principal, model, object_id: int, *options):
    """The ``model`` row with this id when it belongs to the principal's customer and the
    principal sees its site; None otherwise (the portal's loaders answer 404 for it).
    ``options``: loader options for what the page shows with it."""
    record = company_record(principal.company_id, model, object_id, *options)
    if record is None or record.customer_id != principal.customer_id:
        return None
    if is_site_scoped(model) and not visible(record, scoped_site_ids(principal)):
        return None
    return record


def customer_records(principal, model, query=None):
    """``query`` (default: all ``model`` rows) kept to the principal's customer and, when
    the model has sites, to the sites the principal sees."""
    query = select(model) if query is None else query
    query = query.where(
        model.company_id == principal.company_id, model.customer_id == principal.customer_id
    )
    if not is_site_scoped(model):
        return query
    return limit_to_sites(query, model, scoped_site_ids(principal))
