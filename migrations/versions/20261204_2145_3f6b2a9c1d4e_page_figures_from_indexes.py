"""The home and invoices pages' figures read from indexes alone (issue 14): the open A/R
(sent invoices' total less paid) and the revenue invoiced this month are index-only scans
of (company, status, issued_on) carrying the two amounts, the jobs today of the jobs'
(company, window) index carrying the status (PostgreSQL INCLUDE), instead of a heap read
per invoice or job. SQLite keeps the plain indexes.

Revision ID: 3f6b2a9c1d4e
Revises: 0059a21719db
Create Date: 2026-12-04 21:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "3f6b2a9c1d4e"
down_revision = "0059a21719db"
branch_labels = None
depends_on = None

INVOICES = "ix_invoices_company_status_issued"
INVOICE_COLUMNS = ["company_id", "status", "issued_on"]
JOBS = "ix_jobs_company_when_asc"
JOB_COLUMNS = ["company_id", sa.text("window_start ASC NULLS LAST"), sa.text("number DESC")]


def upgrade():
    op.drop_index(INVOICES, table_name="invoices")
    op.create_index(
        INVOICES,
        "invoices",
        INVOICE_COLUMNS,
        postgresql_include=["total_cents", "amount_paid_cents"],
    )
    op.drop_index(JOBS, table_name="jobs")
    op.create_index(JOBS, "jobs", JOB_COLUMNS, postgresql_include=["status"])


def downgrade():
    op.drop_index(JOBS, table_name="jobs")
    op.create_index(JOBS, "jobs", JOB_COLUMNS)
    op.drop_index(INVOICES, table_name="invoices")
    op.create_index(INVOICES, "invoices", INVOICE_COLUMNS)
