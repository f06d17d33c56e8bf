"""Account: the contact and billing details on file (read-only) and the reminder emails
the contact wants."""

from flask import abort, flash, g, url_for

from ...htmx import redirect_after_post, render
from ...services.mail import unsubscribe
from . import bp
from .forms import ReminderEmailsForm


def _reminders_form() -> ReminderEmailsForm | None:
    """The reminder choices of a contact with an email; None for anyone else (a fleet link)."""
    principal = g.principal
    if not (principal.is_contact and principal.email):
        return None
    return ReminderEmailsForm.showing(unsubscribe.wanted_kinds(g.company.id, principal.email))


@bp.route("/account")
def account():
    return render(
        "portal/account.html",
        fragment="partials/portal/_account.html",
        reminders_form=_reminders_form(),
    )


@bp.post("/account/reminders")
def save_reminder_emails():
    if _reminders_form() is None:
        abort(404)
    form = ReminderEmailsForm()
    if not form.validate():
        abort(400)
    unsubscribe.set_wanted_kinds(g.company.id, g.principal.email, form.wanted())
    flash("Your reminder emails are saved.", "success")
    return redirect_after_post(url_for("portal.account"))
