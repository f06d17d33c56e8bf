"""Importing a file: upload, preview, confirm.

The uploaded file is kept as it came (``ImportUpload``, two hours). The preview and the
confirmation both work the plan out from that stored file against the records as they are
then, so the confirmation writes what the server read, never what a page sent back: a
plan with any row error writes nothing, and one that differs from the preview the person
saw (the records changed meanwhile) is refused. An upload is imported once, claimed by
one atomic UPDATE. Re-importing a file changes nothing: its rows match what they created.
"""

import csv
import io
from datetime import timedelta

from sqlalchemy import delete, update

from ...csv_export import safe_text
from ...extensions import db
from ...models import Company, ImportKind, ImportUpload, StaffUser, utcnow
from .. import audit
from ..errors import Conflict, Invalid
from . import assets, customers, files, sites, vehicles
from .plan import Plan
from .rows import Column, Row, column_positions

UPLOAD_LIFETIME = timedelta(hours=2)
KINDS = {
    ImportKind.CUSTOMERS: customers,
    ImportKind.SITES: sites,
    ImportKind.VEHICLES: vehicles,
    ImportKind.ASSETS: assets,
}
# The order a company brings its records in: each kind names records of the kinds before it.
KIND_ORDER = (ImportKind.CUSTOMERS, ImportKind.SITES, ImportKind.VEHICLES, ImportKind.ASSETS)


class PlanHasErrors(Invalid):
    """Rows of the file have problems: nothing is written. ``plan`` says which."""

    def __init__(self, plan: Plan):
        self.plan = plan
        super().__init__(
            f"Nothing was imported: {len(plan.errors):,} problems in the file need fixing."
        )


class PlanChanged(Conflict):
    """The records changed since the preview: nothing is written; ``plan`` is the new one."""

    def __init__(self, plan: Plan):
        self.plan = plan
        super().__init__(
            "Nothing was imported: the records changed since this preview was shown. "
            "Check the preview below and confirm again."
        )


def columns(kind: ImportKind) -> tuple[Column, ...]:
    return KINDS[kind].COLUMNS


def template_csv(kind: ImportKind) -> str:
    """The CSV to start a file of this kind from: the header row and one example row."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(column.name for column in columns(kind))
    writer.writerow(column.example for column in columns(kind))
    return out.getvalue()


def plan(company: Company, kind: ImportKind, filename: str, data: bytes) -> Plan:
    """What importing this file would do now; raises Invalid (on ``file``) when the file
    cannot be read or lacks a column it needs."""
    sheet = files.read_sheet(filename, data)
    module = KINDS[kind]
    positions, ignored = column_positions(sheet, module.COLUMNS)
    errors = []
    rows = [Row(number, cells, positions, errors) for number, cells in sheet.rows]
    outcomes, write = module.plan_rows(company, rows)
    return Plan(
        kind=kind,
        rows=len(rows),
        creates=outcomes.creates,
        updates=outcomes.updates,
        unchanged=outcomes.unchanged,
        errors=sorted(errors, key=lambda error: error.row),
        ignored_columns=ignored,
        write=write,
    )


def store(
    company: Company, *, by: StaffUser, kind: ImportKind, filename: str, data: bytes
) -> ImportUpload:
    """Keep an uploaded file for its preview; raises Invalid (on ``file``) when it cannot
    be read or lacks a column. The company's expired uploads are deleted."""
    sheet = files.read_sheet(filename, data)
    column_positions(sheet, columns(kind))
    now = utcnow()
    db.session.execute(
        delete(ImportUpload).where(
            ImportUpload.company_id == company.id, ImportUpload.expires_at < now
        )
    )
    upload = ImportUpload(
        company_id=company.id,
        staff_user_id=by.id,
        kind=kind,
        filename=(filename or "upload")[-200:],
        content=data,
        expires_at=now + UPLOAD_LIFETIME,
    )
    db.session.add(upload)
    db.session.flush()
    return upload


def is_expired(upload: ImportUpload) -> bool:
    return upload.imported_at is None and upload.expires_at <= utcnow()


def preview(company: Company, upload: ImportUpload) -> Plan | None:
    """The plan of a stored upload, None once it is imported or expired."""
    if upload.imported_at is not None or is_expired(upload):
        return None
    return plan(company, upload.kind, upload.filename, upload.content)


def confirm(company: Company, upload: ImportUpload, *, by: StaffUser, digest: str) -> Plan:
    """Import the stored file: all its rows or, when any has a problem (PlanHasErrors) or
    the plan is not the one previewed (PlanChanged), none. Audited with the counts."""
    if upload.imported_at is not None:
        raise Conflict("This file was imported already.")
    if is_expired(upload):
        raise Conflict("This upload has expired; upload the file again.")
    result = plan(company, upload.kind, upload.filename, upload.content)
    if not result.ok:
        raise PlanHasErrors(result)
    if result.digest != digest:
        raise PlanChanged(result)
    claimed = db.session.execute(
        update(ImportUpload)
        .where(
            ImportUpload.id == upload.id,
            ImportUpload.company_id == company.id,
            ImportUpload.imported_at.is_(None),
        )
        .values(
            imported_at=utcnow(),
            created_count=len(result.creates),
            updated_count=len(result.updates),
        )
    )
    if claimed.rowcount != 1:
        raise Conflict("This file was imported already.")
    result.write()
    audit.record(
        company.id,
        f"import.{upload.kind.value}",
        actor=by,
        subject=upload,
        summary=(
            f"Imported {upload.kind.value} from {upload.filename}: "
            f"{len(result.creates):,} created, {len(result.updates):,} updated"
        ),
        filename=upload.filename,
        created=len(result.creates),
        updated=len(result.updates),
        unchanged=result.unchanged,
    )
    db.session.flush()
    return result


def errors_csv(plan: Plan) -> str:
    """Every problem of the plan: row, column, message."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(("row", "column", "problem"))
    for error in plan.errors:
        writer.writerow((error.row, error.column or "", safe_text(error.message)))
    return out.getvalue()
