"""Every company with its figures; one company: its plan, suspension and audit."""

from flask import flash, g, request, url_for

from ...htmx import redirect_after_post, render
from ...models import Plan, utcnow
from ...pagination import ListQuery
from ...services.platform import audit, companies
from . import bp
from .forms import PlanForm

EVENTS_SHOWN = 10


@bp.get("/")
def index():
    query = companies.CompanyQuery.from_args(request.args)
    return render(
        page="platform/index.html",
        fragment="partials/platform/_company_table.html",
        result=companies.overview(query, utcnow().date()),
        query=query,
        plans=list(Plan),
        states=companies.STATES,
    )


def _company_page(company_id: int, form: PlanForm | None = None, status: int = 200):
    row = companies.company_row(company_id, utcnow().date())
    return render(
        page="platform/company.html",
        row=row,
        form=form or PlanForm(formdata=None, plan=row.company.plan.value),
        events=audit.events(ListQuery(), company_id=company_id, per_page=EVENTS_SHOWN),
        status=status,
    )


@bp.get("/companies/<int:company_id>")
def company(company_id):
    return _company_page(company_id)


def _back_to(company):
    return redirect_after_post(url_for("platform.company", company_id=company.id))


@bp.post("/companies/<int:company_id>/suspend")
def suspend(company_id):
    company = companies.company(company_id)
    companies.suspend(company, by=g.platform_admin)
    flash(
        f"{company.name} is suspended: staff cannot sign in, the portal is unavailable.", "success"
    )
    return _back_to(company)


@bp.post("/companies/<int:company_id>/resume")
def resume(company_id):
    company = companies.company(company_id)
    companies.resume(company, by=g.platform_admin)
    flash(f"{company.name} is resumed: staff can sign in again.", "success")
    return _back_to(company)


@bp.post("/companies/<int:company_id>/plan")
def change_plan(company_id):
    company = companies.company(company_id)
    form = PlanForm()
    if not form.validate():
        return _company_page(company_id, form, 422)
    if companies.set_plan(company, Plan(form.plan.data), by=g.platform_admin):
        flash(f"{company.name} is now on {company.plan.value.capitalize()}.", "success")
    return _back_to(company)


@bp.get("/audit")
def audit_log():
    query = ListQuery.from_args(request.args)
    return render(
        page="platform/audit.html",
        fragment="partials/platform/_audit_list.html",
        result=audit.events(query),
        query=query,
    )
