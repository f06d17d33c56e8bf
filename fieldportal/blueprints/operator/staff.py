"""Settings → Staff (manage_settings): who has an account, invitations (invite, resend,
revoke: services/staff_invites.py), and adding or changing an account directly."""

from flask import flash, g, url_for

from ... import transaction
from ...htmx import is_fragment_request, redirect_after_post, render
from ...models import Capability, StaffUser
from ...services import settings as company_settings
from ...services import staff_invites
from ...services.errors import RuleError
from . import bp
from .access import get_for_company_or_404, require
from .forms import EditStaffForm, InviteStaffForm, NewStaffForm, show_errors


def _staff_page(invite_form: InviteStaffForm | None = None, status: int = 200):
    """The staff page; for htmx its staff section (the invitation form and the list)."""
    return render(
        page="operator/settings/staff.html",
        fragment="partials/operator/_staff.html",
        invite_form=invite_form or InviteStaffForm(formdata=None),
        staff=company_settings.staff_list(g.company),
        invite_lifetime=staff_invites.INVITE_LIFETIME,
        status=status,
    )


def _changed(message: str):
    """After a change: the staff section again for htmx, else back to the page (303)."""
    flash(message, "success")
    if is_fragment_request():
        return _staff_page()
    return redirect_after_post(url_for("operator.staff_page"))


@bp.get("/settings/staff")
@require(Capability.MANAGE_SETTINGS)
def staff_page():
    return _staff_page()


@bp.post("/settings/staff/invite")
@require(Capability.MANAGE_SETTINGS)
def invite_staff():
    form = InviteStaffForm()
    if not form.validate():
        return _staff_page(form, 422)
    try:
        staff = staff_invites.invite(g.company, by=g.staff, **form.values())
    except RuleError as error:
        transaction.discard()
        show_errors(form, error, "email")
        return _staff_page(form, error.status)
    return _changed(f"Invitation sent to {staff.email}.")


@bp.post("/settings/staff/<int:staff_id>/resend")
@require(Capability.MANAGE_SETTINGS)
def resend_invite(staff_id: int):
    staff = get_for_company_or_404(StaffUser, staff_id)
    staff_invites.resend(staff, by=g.staff)
    return _changed(f"Invitation sent to {staff.email} again; the earlier link no longer works.")


@bp.post("/settings/staff/<int:staff_id>/revoke")
@require(Capability.MANAGE_SETTINGS)
def revoke_invite(staff_id: int):
    staff = get_for_company_or_404(StaffUser, staff_id)
    email = staff.email
    staff_invites.revoke(staff, by=g.staff)
    return _changed(f"Invitation of {email} revoked; its link no longer works.")


def _staff_form_page(form, heading: str, action: str, note: str | None = None, status=200):
    return render(
        page="operator/customers/record_form.html",
        form=form,
        heading=heading,
        action=action,
        back=url_for("operator.staff_page"),
        note=note,
        status=status,
    )


def _new_staff_page(form: NewStaffForm, status=200):
    return _staff_form_page(
        form, "New staff member", url_for("operator.create_staff"), None, status
    )


@bp.get("/settings/staff/new")
@require(Capability.MANAGE_SETTINGS)
def new_staff():
    return _new_staff_page(NewStaffForm())


@bp.post("/settings/staff/new")
@require(Capability.MANAGE_SETTINGS)
def create_staff():
    form = NewStaffForm()
    if not form.validate():
        return _new_staff_page(form, 422)
    try:
        company_settings.create_staff(g.company, by=g.staff, **form.values())
    except RuleError as error:
        show_errors(form, error, "email")
        return _new_staff_page(form, error.status)
    return _changed("Staff member added.")


def _edit_staff_page(staff: StaffUser, form: EditStaffForm, status=200):
    action = url_for("operator.save_staff", staff_id=staff.id)
    return _staff_form_page(form, f"Edit {staff.name}", action, staff.email, status)


@bp.get("/settings/staff/<int:staff_id>")
@require(Capability.MANAGE_SETTINGS)
def edit_staff(staff_id: int):
    staff = get_for_company_or_404(StaffUser, staff_id)
    form = EditStaffForm()
    form.show(staff)
    return _edit_staff_page(staff, form)


@bp.post("/settings/staff/<int:staff_id>")
@require(Capability.MANAGE_SETTINGS)
def save_staff(staff_id: int):
    staff = get_for_company_or_404(StaffUser, staff_id)
    form = EditStaffForm()
    if not form.validate():
        return _edit_staff_page(staff, form, 422)
    try:
        company_settings.update_staff(staff, by=g.staff, **form.values())
    except RuleError as error:
        show_errors(form, error, "role")
        return _edit_staff_page(staff, form, error.status)
    return _changed(f"{staff.name} saved.")
