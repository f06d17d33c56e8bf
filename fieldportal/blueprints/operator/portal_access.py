"""Staff side of a contact's portal access: status, links, activation, PIN, sessions,
and "view as customer"."""

from flask import abort, flash, g, redirect, session, url_for

from ...htmx import redirect_after_post, render
from ...models import Capability, Contact
from ...services.errors import RuleError
from ...services.mail import unsubscribe
from ...services.portal import contact_credentials
from ...services.portal import portal_access_admin as access_admin
from ...services.tenancy import company_record
from ..portal.forms import ReminderEmailsForm
from ..view_as import VIEW_AS_KEY
from . import bp
from .access import get_for_company_or_404, require
from .forms import ContactPasswordForm, PinForm, show_errors

CONTACT_ACCESS = "/customers/<int:customer_id>/contacts/<int:contact_id>/access"


def _contact(customer_id: int, contact_id: int) -> Contact:
    contact = get_for_company_or_404(Contact, contact_id, *access_admin.detail_options())
    if contact.customer_id != customer_id or contact.removed_at:
        abort(404)
    return contact


def _page(contact: Contact, pin_form=None, password_form=None, status=200, fragment=None):
    return render(
        "operator/portal_access.html",
        fragment=fragment,
        contact=contact,
        overview=access_admin.access_overview(contact),
        pin_form=pin_form or PinForm(formdata=None),
        password_form=password_form or ContactPasswordForm(formdata=None, email=contact.email),
        portal_url=contact_credentials.portal_sign_in_url(g.company),
        closed=contact_credentials.closed_ways_in(g.company),
        reminders_form=_reminders_form(contact),
        status=status,
    )


def _reminders_form(contact: Contact) -> ReminderEmailsForm | None:
    if not contact.email:
        return None
    return ReminderEmailsForm.showing(unsubscribe.wanted_kinds(g.company.id, contact.email))


def _refused(contact: Contact, error: RuleError):
    flash(error.message, "error")
    return _page(contact, status=error.status)


def _back(contact: Contact, message: str):
    flash(message, "success")
    return redirect_after_post(
        url_for("operator.contact_access", customer_id=contact.customer_id, contact_id=contact.id)
    )


@bp.get(CONTACT_ACCESS)
@require(Capability.MANAGE_PORTAL_ACCESS)
def contact_access(customer_id, contact_id):
    return _page(_contact(customer_id, contact_id))


@bp.post(f"{CONTACT_ACCESS}/link")
@require(Capability.MANAGE_PORTAL_ACCESS)
def send_contact_link(customer_id, contact_id):
    contact = _contact(customer_id, contact_id)
    try:
        access_admin.send_sign_in_link(contact)
    except RuleError as error:
        return _refused(contact, error)
    return _back(contact, f"Sign-in link sent to {contact.email}.")


@bp.post(f"{CONTACT_ACCESS}/activation")
@require(Capability.MANAGE_PORTAL_ACCESS)
def send_contact_activation(customer_id, contact_id):
    contact = _contact(customer_id, contact_id)
    try:
        access_admin.send_activation_email(contact, by=g.staff)
    except RuleError as error:
        return _refused(contact, error)
    return _back(contact, f"Activation email with a temporary password sent to {contact.email}.")


@bp.post(f"{CONTACT_ACCESS}/pin")
@require(Capability.MANAGE_PORTAL_ACCESS)
def set_contact_pin(customer_id, contact_id):
    contact = _contact(customer_id, contact_id)
    form = PinForm()
    if not form.validate():
        return _page(contact, pin_form=form, status=422)
    send = form.send.data
    try:
        access_admin.give_pin(
            contact, form.pin.data, send=send, message=form.message.data or "", by=g.staff
        )
    except RuleError as error:
        show_errors(form, error, "pin")
        return _page(contact, pin_form=form, status=error.status)
    sent = " It was emailed to the contact." if send else " It will not be shown again."
    return _back(contact, f"PIN saved.{sent}")


@bp.post(f"{CONTACT_ACCESS}/password")
@require(Capability.MANAGE_PORTAL_ACCESS)
def set_contact_password(customer_id, contact_id):
    """Staff set the contact's username and password; every session of the contact ends."""
    contact = _contact(customer_id, contact_id)
    form = ContactPasswordForm()
    fragment = "partials/operator/_contact_password.html"
    if not form.validate():
        return _page(contact, password_form=form, status=422, fragment=fragment)
    try:
        contact_credentials.set_username_and_password(contact, by=g.staff, **form.values())
    except RuleError as error:
        show_errors(form, error, "password")
        return _page(contact, password_form=form, status=error.status, fragment=fragment)
    return _back(
        contact, f"Username and password saved. {contact.name} signs in as {contact.email}."
    )


@bp.post(f"{CONTACT_ACCESS}/reminders")
@require(Capability.MANAGE_PORTAL_ACCESS)
def set_contact_reminders(customer_id, contact_id):
    contact = _contact(customer_id, contact_id)
    form = ReminderEmailsForm()
    if not contact.email or not form.validate():
        abort(404 if not contact.email else 400)
    unsubscribe.set_wanted_kinds(
        g.company.id, contact.email, form.wanted(), by=g.staff, contact=contact
    )
    return _back(contact, f"Reminder emails for {contact.name} saved.")


@bp.post(f"{CONTACT_ACCESS}/end")
@require(Capability.MANAGE_PORTAL_ACCESS)
def end_contact_access(customer_id, contact_id):
    contact = _contact(customer_id, contact_id)
    ended = access_admin.end_all_access(contact, by=g.staff)
    return _back(contact, f"Ended {ended} session(s) and cancelled outstanding links.")


@bp.post("/customers/<int:customer_id>/contacts/<int:contact_id>/view-as")
@require(Capability.MANAGE_PORTAL_ACCESS)
def view_as_contact(customer_id, contact_id):
    """Open the portal exactly as this contact sees it, read-only (audited)."""
    contact = _contact(customer_id, contact_id)
    access_admin.start_view_as(contact, by=g.staff)
    session[VIEW_AS_KEY] = contact.id
    return redirect(url_for("portal.dashboard", company_slug=g.company.slug), code=303)


@bp.post("/view-as/stop")
def stop_view_as():
    contact_id = session.pop(VIEW_AS_KEY, None)
    contact = company_record(g.company.id, Contact, contact_id) if contact_id else None
    if contact is None:
        return redirect_after_post(url_for("operator.home"))
    return redirect_after_post(
        url_for("operator.contact_access", customer_id=contact.customer_id, contact_id=contact.id)
    )
