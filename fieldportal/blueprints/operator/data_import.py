"""Importing customers, sites, vehicles and assets from a CSV or .xlsx file: choose the
kind and upload, see the preview of what will be created or updated and every row's
problems, confirm. The services keep the file and work the plan out again on confirming
(services/data_import/uploads.py)."""

from flask import Response, flash, g, url_for

from ... import transaction
from ...htmx import redirect_after_post, render
from ...models import Capability, ImportKind, ImportUpload
from ...services.data_import import uploads
from ...services.errors import RuleError
from . import bp
from .access import get_for_company_or_404, require
from .forms import ConfirmImportForm, ImportForm, show_errors

KIND_PATTERN = "any(" + ", ".join(kind.value for kind in ImportKind) + ")"
ROWS_SHOWN = 500
ERRORS_SHOWN = 1000


def _import_page(form: ImportForm, status: int = 200):
    return render(
        page="operator/import/index.html",
        fragment="partials/operator/_import_form.html",
        form=form,
        kinds=[(kind, uploads.columns(kind)) for kind in uploads.KIND_ORDER],
        status=status,
    )


@bp.get("/import")
@require(Capability.IMPORT_DATA)
def import_page():
    return _import_page(ImportForm(formdata=None))


@bp.post("/import")
@require(Capability.IMPORT_DATA)
def upload_import():
    form = ImportForm()
    if not form.validate():
        return _import_page(form, status=422)
    try:
        upload = uploads.store(g.company, by=g.staff, **form.values())
    except RuleError as error:
        show_errors(form, error, "file")
        return _import_page(form, status=error.status)
    return redirect_after_post(url_for("operator.import_preview", upload_id=upload.id))


@bp.get(f"/import/<{KIND_PATTERN}:kind>/template.csv")
@require(Capability.IMPORT_DATA)
def import_template(kind: str):
    return _csv_download(uploads.template_csv(ImportKind(kind)), f"{kind}-template.csv")


def _preview_page(upload: ImportUpload, plan, status: int = 200, message: str = ""):
    return render(
        page="operator/import/preview.html",
        fragment="partials/operator/_import_preview.html",
        upload=upload,
        plan=plan,
        expired=uploads.is_expired(upload),
        form=ConfirmImportForm(formdata=None, digest=plan.digest if plan else ""),
        message=message,
        rows_shown=ROWS_SHOWN,
        errors_shown=ERRORS_SHOWN,
        status=status,
    )


@bp.get("/import/uploads/<int:upload_id>")
@require(Capability.IMPORT_DATA)
def import_preview(upload_id: int):
    upload = get_for_company_or_404(ImportUpload, upload_id)
    return _preview_page(upload, uploads.preview(g.company, upload))


@bp.post("/import/uploads/<int:upload_id>/confirm")
@require(Capability.IMPORT_DATA)
def confirm_import(upload_id: int):
    upload = get_for_company_or_404(ImportUpload, upload_id)
    form = ConfirmImportForm()
    try:
        plan = uploads.confirm(g.company, upload, by=g.staff, digest=form.digest.data or "")
    except RuleError as error:
        transaction.discard()
        upload = get_for_company_or_404(ImportUpload, upload_id)
        plan = getattr(error, "plan", None) or uploads.preview(g.company, upload)
        return _preview_page(upload, plan, status=error.status, message=error.message)
    flash(
        f"Imported {upload.kind.value}: {len(plan.creates):,} created, "
        f"{len(plan.updates):,} updated, {plan.unchanged:,} unchanged.",
        "success",
    )
    return redirect_after_post(url_for("operator.import_preview", upload_id=upload.id))


@bp.get("/import/uploads/<int:upload_id>/problems.csv")
@require(Capability.IMPORT_DATA)
def import_problems(upload_id: int):
    upload = get_for_company_or_404(ImportUpload, upload_id)
    plan = uploads.preview(g.company, upload)
    if plan is None:
        return _preview_page(upload, None, status=410)
    return _csv_download(uploads.errors_csv(plan), f"problems-{upload.id}.csv")


def _csv_download(text: str, filename: str) -> Response:
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
