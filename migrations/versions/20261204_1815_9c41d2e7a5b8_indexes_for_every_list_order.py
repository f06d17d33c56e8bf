"""Indexes for every order the lists offer (issue 14): jobs by time both ways, by status,
the status filter by time and by number; invoices and quotes by a status and number;
customers by case-folded name (with and without a kind); the request inbox newest first.

On SQLite an index column has no NULLS LAST: models/base.py drops it when the index is
created (DESC is NULLS LAST there already).

Revision ID: 9c41d2e7a5b8
Revises: ed75162a656f
Create Date: 2026-12-04 18:15:00
"""

import sqlalchemy as sa
from alembic import op

revision = "9c41d2e7a5b8"
down_revision = "ed75162a656f"
branch_labels = None
depends_on = None

WHEN_DESC = sa.text("window_start DESC NULLS LAST")
WHEN_ASC = sa.text("window_start ASC NULLS LAST")
NUMBER_DESC = sa.text("number DESC")
NAME = sa.text("lower(name)")


def upgrade():
    op.drop_index("ix_jobs_company_window", table_name="jobs")
    op.drop_index("ix_jobs_company_status_window", table_name="jobs")
    op.create_index("ix_jobs_company_when_desc", "jobs", ["company_id", WHEN_DESC, NUMBER_DESC])
    op.create_index("ix_jobs_company_when_asc", "jobs", ["company_id", WHEN_ASC, NUMBER_DESC])
    op.create_index(
        "ix_jobs_company_status_when", "jobs", ["company_id", "status", WHEN_DESC, NUMBER_DESC]
    )
    op.create_index("ix_jobs_company_status_number", "jobs", ["company_id", "status", "number"])
    op.create_index(
        "ix_invoices_company_status_number", "invoices", ["company_id", "status", "number"]
    )
    op.create_index("ix_quotes_company_status_number", "quotes", ["company_id", "status", "number"])
    op.drop_index("ix_customers_company_kind_name", table_name="customers")
    op.create_index("ix_customers_company_name", "customers", ["company_id", NAME, "id"])
    op.create_index(
        "ix_customers_company_kind_name", "customers", ["company_id", "kind", NAME, "id"]
    )
    op.drop_index("ix_service_requests_company_status_created", table_name="service_requests")
    op.create_index(
        "ix_service_requests_company_status_created",
        "service_requests",
        ["company_id", "status", "created_at", "id"],
    )
    op.create_index(
        "ix_service_requests_company_created", "service_requests", ["company_id", "created_at", "id"]
    )


def downgrade():
    op.drop_index("ix_service_requests_company_created", table_name="service_requests")
    op.drop_index("ix_service_requests_company_status_created", table_name="service_requests")
    op.create_index(
        "ix_service_requests_company_status_created",
        "service_requests",
        ["company_id", "status", "created_at"],
    )
    op.drop_index("ix_customers_company_kind_name", table_name="customers")
    op.drop_index("ix_customers_company_name", table_name="customers")
    op.create_index("ix_customers_company_kind_name", "customers", ["company_id", "kind", "name"])
    op.drop_index("ix_quotes_company_status_number", table_name="quotes")
    op.drop_index("ix_invoices_company_status_number", table_name="invoices")
    op.drop_index("ix_jobs_company_status_number", table_name="jobs")
    op.drop_index("ix_jobs_company_status_when", table_name="jobs")
    op.drop_index("ix_jobs_company_when_asc", table_name="jobs")
    op.drop_index("ix_jobs_company_when_desc", table_name="jobs")
    op.create_index(
        "ix_jobs_company_status_window", "jobs", ["company_id", "status", "window_start"]
    )
    op.create_index("ix_jobs_company_window", "jobs", ["company_id", "window_start"])
