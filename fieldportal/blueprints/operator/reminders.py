"""Settings → Reminders (manage_settings): which reminders go to customers, and when."""

from flask import flash, g, url_for

from ... import transaction
from ...htmx import redirect_after_post, render
from ...models import Capability
from ...services import reminders
from ...services.errors import Invalid
from . import bp
from .access import require
from .forms import ReminderSettingsForm, show_errors


def _page(form: ReminderSettingsForm, status: int = 200):
    return render(
        page="operator/settings/reminders.html",
        form=form,
        kinds=reminders.LABELS,
        field_for=reminders.timing_field,
        status=status,
    )


@bp.get("/settings/reminders")
@require(Capability.MANAGE_SETTINGS)
def reminder_settings():
    return _page(ReminderSettingsForm.showing(reminders.choices(g.company.id)))


@bp.post("/settings/reminders")
@require(Capability.MANAGE_SETTINGS)
def save_reminder_settings():
    form = ReminderSettingsForm()
    if not form.validate():
        return _page(form, status=422)
    try:
        reminders.save_choices(g.company, form.values(reminders.LABELS), by=g.staff)
    except Invalid as error:
        transaction.discard()
        show_errors(form, error, "appointment_timing")
        return _page(form, status=error.status)
    flash("Reminder settings saved.", "success")
    return redirect_after_post(url_for("operator.reminder_settings"))
