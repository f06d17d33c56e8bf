"""Staff side of a contact's portal access: status, links, activation, PIN, sessions,
and "view as customer"."""

from flask import abort, flash, g, redirect, session, url_for
from flask_wtf import FlaskForm
from sqlalchemy.orm import joinedload
from wtforms import BooleanField, PasswordField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from ...extensions import db
from ...htmx import redirect_after_post, render
from ...models import Capability, Contact
from ...services import audit
from ...services.errors import RuleError
from ...services.portal import contact_credentials, portal_auth
from ...services.portal.portal_access_admin import access_overview, end_all_access
from ..view_as import VIEW_AS_KEY
from . import bp
from .access import get_for_company_or_404, require
from .forms import ContactPasswordForm, show_errors


class PinForm(FlaskForm):
    pin = PasswordField(
        "New PIN (4 to 8 digits)",
        validators=[DataRequired(), Regexp(r"^\d{4,8}$", message="A PIN is 4 to 8 digits.")],
    )
    send = BooleanField("Email the PIN to the contact")
    message = TextAreaField("Message to include", validators=[Optional(), Length(max=1000)])


def _contact(customer_id: int, contact_id: int) -> Contact:
    contact = get_for_company_or_404(Contact, contact_id, joinedload(Contact.customer))
    if contact.customer_id != customer_id or contact.removed_at:
        abort(404)
    return contact


def _page(contact: Contact, pin_form=None, password_form=None, status=200, fragment=None):
    return render(
        "operator/portal_access.html",
        fragment=fragment,
        contact=contact,
        overview=access_overview(contact),
        pin_form=pin_form or PinForm(),
        password_form=password_form or ContactPasswordForm(formdata=None, email=contact.email),
        portal_url=contact_credentials.portal_sign_in_url(g.company),
        password_sign_in_on=contact_credentials.password_sign_in_allowed(g.company),
        status=status,
    )


def _no_email(contact: Contact):
    flash("This contact has no email address on file; add one first. Nothing was sent.", "error")
    return _page(contact, status=422)


def _back(contact: Contact):
    return redirect_after_post(
        url_for("operator.contact_access", customer_id=contact.customer_id, contact_id=contact.id)
    )


@bp.route("/customers/<int:customer_id>/contacts/<int:contact_id>/access")
@require(Capability.MANAGE_PORTAL_ACCESS)
def contact_access(customer_id, contact_id):
    return _page(_contact(customer_id, contact_id))


@bp.route("/customers/<int:customer_id>/contacts/<int:contact_id>/access/link", methods=["POST"])
@require(Capability.MANAGE_PORTAL_ACCESS)
def send_contact_link(customer_id, contact_id):
    contact = _contact(customer_id, contact_id)
    if not contact.email:
        return _no_email(contact)
    portal_auth.send_login_link(contact)
    db.session.commit()
    flash(f"Sign-in link sent to {contact.email}.", "success")
    return _back(contact)


@bp.route(
    "/customers/<int:customer_id>/contacts/<int:contact_id>/access/activation", methods=["POST"]
)
@require(Capability.MANAGE_PORTAL_ACCESS)
def send_contact_activation(customer_id, contact_id):
    contact = _contact(customer_id, contact_id)
    if not contact.email:
        return _no_email(contact)
    portal_auth.send_activation(contact, by=g.staff)
    db.session.commit()
    flash(f"Activation email with a temporary password sent to {contact.email}.", "success")
    return _back(contact)


@bp.route("/customers/<int:customer_id>/contacts/<int:contact_id>/access/pin", methods=["POST"])
@require(Capability.MANAGE_PORTAL_ACCESS)
def set_contact_pin(customer_id, contact_id):
    contact = _contact(customer_id, contact_id)
    form = PinForm()
    if not form.validate():
        return _page(contact, pin_form=form, status=422)
    if not contact.phone:
        form.pin.errors.append("Add a phone number first: customers sign in with phone and PIN.")
        return _page(contact, pin_form=form, status=422)
    if form.send.data and not contact.email:
        form.send.errors.append("No email address on file to send it to.")
        return _page(contact, pin_form=form, status=422)
    portal_auth.set_pin(contact, form.pin.data, by=g.staff)
    if form.send.data:
        portal_auth.email_pin(contact, form.pin.data, message=form.message.data or "")
    db.session.commit()
    flash(
        "PIN saved."
        + (" It was emailed to the contact." if form.send.data else " It will not be shown again."),
        "success",
    )
    return _back(contact)


@bp.post("/customers/<int:customer_id>/contacts/<int:contact_id>/access/password")
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
    flash(f"Username and password saved. {contact.name} signs in as {contact.email}.", "success")
    return _back(contact)


@bp.route("/customers/<int:customer_id>/contacts/<int:contact_id>/access/end", methods=["POST"])
@require(Capability.MANAGE_PORTAL_ACCESS)
def end_contact_access(customer_id, contact_id):
    contact = _contact(customer_id, contact_id)
    ended = end_all_access(contact, by=g.staff)
    db.session.commit()
    flash(f"Ended {ended} session(s) and cancelled outstanding links.", "success")
    return _back(contact)


@bp.route("/customers/<int:customer_id>/contacts/<int:contact_id>/view-as", methods=["POST"])
@require(Capability.MANAGE_PORTAL_ACCESS)
def view_as_contact(customer_id, contact_id):
    """Open the portal exactly as this contact sees it, read-only (audited)."""
    contact = _contact(customer_id, contact_id)
    session[VIEW_AS_KEY] = contact.id
    audit.record(g.company.id, "portal.viewed_as", actor=g.staff, subject=contact)
    db.session.commit()
    return redirect(url_for("portal.dashboard", company_slug=g.company.slug), code=303)


@bp.route("/view-as/stop", methods=["POST"])
def stop_view_as():
    contact_id = session.pop(VIEW_AS_KEY, None)
    contact = db.session.get(Contact, contact_id) if contact_id else None
    if contact is not None and contact.company_id == g.company.id:
        return redirect_after_post(
            url_for(
                "operator.contact_access", customer_id=contact.customer_id, contact_id=contact.id
            )
        )
    return redirect_after_post(url_for("operator.home"))
