"""Unsubscribing from reminder emails by the link every reminder carries.

GET shows what the link stops and a button; POST stops it — both the button and the
mail app's one-click POST (RFC 8058, ``List-Unsubscribe=One-Click``), which carries no
CSRF token: the signed link is what proves it came from the email. It works whatever the
company's portal and plan, since it is about email, not the portal.
"""

from flask import Blueprint, abort, render_template

from ...extensions import csrf
from ...services.mail import unsubscribe as opt_outs
from ...services.reminders import LABELS

bp = Blueprint("unsubscribe", __name__)


def _read(token: str):
    read = opt_outs.read_token(token)
    if read is None:
        abort(404)
    return read


@bp.get("/unsubscribe/<token>")
def unsubscribe(token: str):
    company, address, kind = _read(token)
    return render_template(
        "unsubscribe/page.html",
        company=company,
        address=address,
        label=LABELS[kind],
        done=opt_outs.is_opted_out(company.id, address, kind),
        token=token,
    )


@bp.post("/unsubscribe/<token>")
@csrf.exempt
def confirm_unsubscribe(token: str):
    company, address, kind = _read(token)
    opt_outs.opt_out(company.id, address, kind)
    return render_template(
        "unsubscribe/page.html",
        company=company,
        address=address,
        label=LABELS[kind],
        done=True,
        token=token,
    )
