"""Realistic, deterministic demo data for two companies (``flask demo-data``).

Every status of every object exists at the small scale; the large scale builds 2,000
fleets, 20,000 vehicles, 200,000 jobs and 100,000 invoices for benchmarks, xl ten times
that. Rows are written in bulk (COPY on PostgreSQL) with explicit ids, so foreign keys need
no round trips.

One module per aggregate (companies, customers, vehicles, assets, jobs, requests,
billing, reports), each adding rows to a ``CompanyData`` (context.py); ``build.py``
runs them in order and ``writer.py`` inserts the rows.
"""

from .build import build_demo_data
from .credentials import DEMO_CREDENTIALS_TEXT, PORTAL_PASSWORD, PORTAL_PIN, STAFF_PASSWORD
from .scales import SCALES

__all__ = [
    "DEMO_CREDENTIALS_TEXT",
    "PORTAL_PASSWORD",
    "PORTAL_PIN",
    "SCALES",
    "STAFF_PASSWORD",
    "build_demo_data",
]
