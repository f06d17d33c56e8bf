"""Customers and their records: contacts, sites, vehicles, assets, job types, history.

Each record has a GET view showing its form and a POST view saving it. The services check
their rules before they change anything, and the commit point rolls a refused request
back, so a form shown again (422) sits over the records as the database has them.
"""

from flask import abort, flash, g, request, url_for

from ... import csv_export
from ...htmx import is_fragment_request, redirect_after_post, render
from ...models import Asset, Capability, Contact, Customer, CustomerKind, Site, Vehicle
from ...services import customers
from ...services.clock import company_today
from ...services.errors import RuleError
from ...services.exports import lists as exports
from ..validators import options
from . import bp
from .access import get_for_company_or_404, require
from .forms import (
    AssetForm,
    AssetTestForm,
    ContactForm,
    CustomerForm,
    DefectForm,
    JobTypesForm,
    OdometerForm,
    SiteForm,
    VehicleForm,
    show_errors,
    vin_looks_valid,
)


def _form_page(form, heading: str, action: str, back: str, note=None):
    """A record's form page: 200 when first shown, 422 when shown again after a POST."""
    return render(
        page="operator/customers/record_form.html",
        form=form,
        heading=heading,
        action=action,
        back=back,
        status=422 if form.is_submitted() else 200,
        note=note,
    )


def _saved(form, field_name: str, save, *records):
    """Validate the form, then ``save(*records, by=staff, **form.values())``: what it saved,
    or None when the form must be shown again (with the service's messages on their
    fields, or on ``field_name``)."""
    if not form.validate():
        return None
    try:
        return save(*records, by=g.staff, **form.values())
    except RuleError as error:
        show_errors(form, error, field_name)
        return None


def _to_customer(customer_id: int):
    return redirect_after_post(url_for("operator.customer_detail", customer_id=customer_id))


def _load_contact(contact_id: int) -> Contact:
    """A current contact of this company's customers; a removed one is gone (404)."""
    contact = get_for_company_or_404(Contact, contact_id, *customers.contact_options())
    if contact.removed_at:
        abort(404)
    return contact


# ---------------------------------------------------------------- customers


@bp.get("/customers")
@require(Capability.MANAGE_CUSTOMERS)
def customer_list():
    query = customers.CustomerQuery.from_args(request.args)
    if csv_export.wants_csv(request.args):
        return csv_export.download(
            exports.customers_list(g.company, query), g.company, request.args
        )
    return render(
        page="operator/customers/index.html",
        fragment="partials/operator/_customer_table.html",
        result=customers.customer_list(g.company.id, query),
        query=query,
        kinds=list(CustomerKind),
    )


def _customer_form(form: CustomerForm, customer: Customer | None):
    if customer is None:
        action, back = url_for("operator.new_customer"), url_for("operator.customer_list")
        return _form_page(form, "New customer", action, back)
    back = url_for("operator.customer_detail", customer_id=customer.id)
    action = url_for("operator.edit_customer", customer_id=customer.id)
    return _form_page(form, f"Edit {customer.name}", action, back)


@bp.get("/customers/new")
@require(Capability.MANAGE_CUSTOMERS)
def new_customer():
    form = CustomerForm()
    form.billing_terms.data = g.company.default_billing_terms.value
    form.kind.data = request.args.get("kind", "consumer")
    return _customer_form(form, None)


@bp.post("/customers/new")
@require(Capability.MANAGE_CUSTOMERS)
def create_customer():
    form = CustomerForm()
    customer = _saved(form, "name", customers.create_customer, g.company)
    if customer is None:
        return _customer_form(form, None)
    flash(f"{customer.name} added.", "success")
    return _to_customer(customer.id)


@bp.get("/customers/<int:customer_id>")
@require(Capability.MANAGE_CUSTOMERS)
def customer_detail(customer_id: int):
    customer = get_for_company_or_404(Customer, customer_id)
    asset_q = (request.args.get("asset_q") or "").replace("\x00", "").strip()[:60]
    if is_fragment_request():
        return render(
            page="operator/customers/detail.html",
            fragment="partials/operator/_customer_assets.html",
            customer=customer,
            assets=customers.customer_assets(customer, asset_q),
            asset_q=asset_q,
        )
    return _detail_page(customer, asset_q)


def _detail_page(customer: Customer, asset_q: str = "", status: int = 200):
    detail = customers.customer_detail(g.company, customer, asset_q)
    job_types_form = JobTypesForm(formdata=None, job_type_ids=detail.requestable_ids)
    job_types_form.job_type_ids.choices = options((t.id, t.name) for t in detail.job_types)
    return render(
        page="operator/customers/detail.html",
        status=status,
        customer=customer,
        asset_q=asset_q,
        job_types_form=job_types_form,
        vin_looks_valid=vin_looks_valid,
        **vars(detail),
    )


@bp.get("/customers/<int:customer_id>/edit")
@require(Capability.MANAGE_CUSTOMERS)
def edit_customer(customer_id: int):
    customer = get_for_company_or_404(Customer, customer_id)
    form = CustomerForm(obj=customer)
    form.kind.data = customer.kind.value
    form.billing_terms.data = customer.billing_terms.value
    return _customer_form(form, customer)


@bp.post("/customers/<int:customer_id>/edit")
@require(Capability.MANAGE_CUSTOMERS)
def save_customer(customer_id: int):
    customer = get_for_company_or_404(Customer, customer_id)
    form = CustomerForm(obj=customer)
    if _saved(form, "name", customers.update_customer, customer) is None:
        return _customer_form(form, customer)
    flash("Customer saved.", "success")
    return _to_customer(customer.id)


@bp.post("/customers/<int:customer_id>/convert")
@require(Capability.MANAGE_CUSTOMERS)
def convert_customer(customer_id: int):
    customer = get_for_company_or_404(Customer, customer_id)
    try:
        customers.convert_to_fleet(customer, g.company, by=g.staff)
    except RuleError as error:
        flash(error.message, "error")
    else:
        flash(f"{customer.name} is now a fleet.", "success")
    return _to_customer(customer.id)


@bp.post("/customers/<int:customer_id>/job-types")
@require(Capability.MANAGE_CUSTOMERS)
def customer_job_types(customer_id: int):
    customer = get_for_company_or_404(Customer, customer_id)
    form = JobTypesForm()
    form.job_type_ids.choices = options(
        (t.id, t.name) for t in customers.offered_job_types(g.company.id)
    )
    if not form.validate():
        flash("Choose job types from the list; nothing was changed.", "error")
        return _detail_page(customer, status=422)
    customers.set_requestable_job_types(customer, form.job_type_ids.data, by=g.staff)
    flash("Requestable job types saved.", "success")
    return _to_customer(customer.id)


# ---------------------------------------------------------------- contacts, sites, vehicles, assets


def _record_page(form, customer: Customer, noun: str, record=None, title: str = "", note=None):
    """The form of one of the customer's records: a new ``noun`` (contact, site, vehicle,
    asset) when ``record`` is None, else that record, called ``title``."""
    back = url_for("operator.customer_detail", customer_id=customer.id)
    if record is None:
        action = url_for(f"operator.new_{noun}", customer_id=customer.id)
        return _form_page(form, f"New {noun} for {customer.name}", action, back, note=note)
    action = url_for(f"operator.edit_{noun}", **{f"{noun}_id": record.id})
    return _form_page(form, f"Edit {title}", action, back, note=note)


def _offer_sites(form, customer: Customer):
    """The customer's sites as the form's choices: the contact's sites, or a record's site."""
    sites = [(site.id, site.name) for site in customers.sites_of(customer)]
    if "site_ids" in form:
        form.site_ids.choices = options(sites)
    else:
        form.site_id.choices = options([(None, "—"), *sites])
    return form


@bp.get("/customers/<int:customer_id>/contacts/new")
@require(Capability.MANAGE_CUSTOMERS)
def new_contact(customer_id: int):
    customer = get_for_company_or_404(Customer, customer_id)
    form = _offer_sites(ContactForm(), customer)
    first = not customers.has_contacts(customer)
    form.is_admin.data = first
    note = "The first contact is an admin by default." if first else None
    return _record_page(form, customer, "contact", note=note)


@bp.post("/customers/<int:customer_id>/contacts/new")
@require(Capability.MANAGE_CUSTOMERS)
def add_contact(customer_id: int):
    customer = get_for_company_or_404(Customer, customer_id)
    form = _offer_sites(ContactForm(), customer)
    if _saved(form, "email", customers.add_contact, customer) is None:
        return _record_page(form, customer, "contact")
    flash("Contact added.", "success")
    return _to_customer(customer.id)


@bp.get("/contacts/<int:contact_id>/edit")
@require(Capability.MANAGE_CUSTOMERS)
def edit_contact(contact_id: int):
    contact = _load_contact(contact_id)
    form = _offer_sites(ContactForm(obj=contact), contact.customer)
    form.site_ids.data = [site.id for site in contact.sites]
    return _record_page(form, contact.customer, "contact", contact, contact.name)


@bp.post("/contacts/<int:contact_id>/edit")
@require(Capability.MANAGE_CUSTOMERS)
def save_contact(contact_id: int):
    contact = _load_contact(contact_id)
    form = _offer_sites(ContactForm(obj=contact), contact.customer)
    if _saved(form, "email", customers.update_contact, contact) is None:
        return _record_page(form, contact.customer, "contact", contact, contact.name)
    flash("Contact saved.", "success")
    return _to_customer(contact.customer_id)


@bp.post("/contacts/<int:contact_id>/remove")
@require(Capability.MANAGE_CUSTOMERS)
def remove_contact(contact_id: int):
    contact = _load_contact(contact_id)
    customers.remove_contact(contact, by=g.staff)
    flash(f"{contact.name} removed; their portal access has ended.", "success")
    return _to_customer(contact.customer_id)


def _save_site(customer: Customer, site: Site | None):
    form = SiteForm(obj=site)
    if _saved(form, "name", customers.save_site, customer, site) is None:
        return _record_page(form, customer, "site", site, f"site {site.name}" if site else "")
    flash("Site saved.", "success")
    return _to_customer(customer.id)


@bp.get("/customers/<int:customer_id>/sites/new")
@require(Capability.MANAGE_CUSTOMERS)
def new_site(customer_id: int):
    return _record_page(SiteForm(), get_for_company_or_404(Customer, customer_id), "site")


@bp.post("/customers/<int:customer_id>/sites/new")
@require(Capability.MANAGE_CUSTOMERS)
def create_site(customer_id: int):
    return _save_site(get_for_company_or_404(Customer, customer_id), None)


@bp.get("/sites/<int:site_id>/edit")
@require(Capability.MANAGE_CUSTOMERS)
def edit_site(site_id: int):
    site = get_for_company_or_404(Site, site_id, *customers.with_customer(Site))
    return _record_page(SiteForm(obj=site), site.customer, "site", site, f"site {site.name}")


@bp.post("/sites/<int:site_id>/edit")
@require(Capability.MANAGE_CUSTOMERS)
def save_site(site_id: int):
    site = get_for_company_or_404(Site, site_id, *customers.with_customer(Site))
    return _save_site(site.customer, site)


VEHICLE_NOTE = "Leave the interval overrides empty to use the fleet's default."


def _save_vehicle(customer: Customer, vehicle: Vehicle | None):
    form = _offer_sites(VehicleForm(obj=vehicle), customer)
    saved = _saved(form, "odometer", customers.save_vehicle, customer, vehicle)
    if saved is None:
        title = vehicle.label if vehicle else ""
        return _record_page(form, customer, "vehicle", vehicle, title, note=VEHICLE_NOTE)
    odd_vin = saved.vin and not vin_looks_valid(saved.vin)
    warning = " Its VIN does not look like a standard 17-character VIN." if odd_vin else ""
    flash("Vehicle saved." + warning, "success")
    return redirect_after_post(url_for("operator.vehicle_detail", vehicle_id=saved.id))


@bp.get("/customers/<int:customer_id>/vehicles/new")
@require(Capability.MANAGE_CUSTOMERS)
def new_vehicle(customer_id: int):
    customer = get_for_company_or_404(Customer, customer_id)
    form = _offer_sites(VehicleForm(), customer)
    return _record_page(form, customer, "vehicle", note=VEHICLE_NOTE)


@bp.post("/customers/<int:customer_id>/vehicles/new")
@require(Capability.MANAGE_CUSTOMERS)
def create_vehicle(customer_id: int):
    return _save_vehicle(get_for_company_or_404(Customer, customer_id), None)


@bp.get("/vehicles/<int:vehicle_id>/edit")
@require(Capability.MANAGE_CUSTOMERS)
def edit_vehicle(vehicle_id: int):
    vehicle = get_for_company_or_404(Vehicle, vehicle_id, *customers.with_customer(Vehicle))
    form = _offer_sites(VehicleForm(obj=vehicle), vehicle.customer)
    return _record_page(form, vehicle.customer, "vehicle", vehicle, vehicle.label, VEHICLE_NOTE)


@bp.post("/vehicles/<int:vehicle_id>/edit")
@require(Capability.MANAGE_CUSTOMERS)
def save_vehicle(vehicle_id: int):
    vehicle = get_for_company_or_404(Vehicle, vehicle_id, *customers.with_customer(Vehicle))
    return _save_vehicle(vehicle.customer, vehicle)


def _vehicle_detail(vehicle: Vehicle, form: OdometerForm, status: int = 200):
    return render(
        page="operator/customers/vehicle.html",
        status=status,
        vehicle=vehicle,
        form=form,
        vin_ok=not vehicle.vin or vin_looks_valid(vehicle.vin),
        **vars(customers.vehicle_detail(g.company, vehicle)),
    )


@bp.get("/vehicles/<int:vehicle_id>")
@require(Capability.MANAGE_CUSTOMERS)
def vehicle_detail(vehicle_id: int):
    vehicle = get_for_company_or_404(Vehicle, vehicle_id, *customers.vehicle_options())
    return _vehicle_detail(vehicle, OdometerForm())


@bp.post("/vehicles/<int:vehicle_id>")
@require(Capability.MANAGE_CUSTOMERS)
def record_odometer(vehicle_id: int):
    vehicle = get_for_company_or_404(Vehicle, vehicle_id, *customers.vehicle_options())
    form = OdometerForm()
    if _saved(form, "odometer", customers.save_vehicle, vehicle.customer, vehicle) is None:
        return _vehicle_detail(vehicle, form, status=422)
    flash("Odometer reading recorded.", "success")
    return redirect_after_post(url_for("operator.vehicle_detail", vehicle_id=vehicle.id))


def _asset_form(customer: Customer, asset: Asset | None = None) -> AssetForm:
    form = _offer_sites(AssetForm(obj=asset), customer)
    form.asset_code.label.text = g.company.asset_id_label
    return form


def _save_asset(customer: Customer, asset: Asset | None):
    form = _asset_form(customer, asset)
    saved = _saved(form, "asset_code", customers.save_asset, customer, asset)
    if saved is None:
        return _record_page(form, customer, "asset", asset, asset.asset_code if asset else "")
    flash("Asset saved.", "success")
    return redirect_after_post(url_for("operator.asset_detail", asset_id=saved.id))


@bp.get("/customers/<int:customer_id>/assets/new")
@require(Capability.MANAGE_CUSTOMERS)
def new_asset(customer_id: int):
    customer = get_for_company_or_404(Customer, customer_id)
    return _record_page(_asset_form(customer), customer, "asset")


@bp.post("/customers/<int:customer_id>/assets/new")
@require(Capability.MANAGE_CUSTOMERS)
def create_asset(customer_id: int):
    return _save_asset(get_for_company_or_404(Customer, customer_id), None)


@bp.get("/assets/<int:asset_id>/edit")
@require(Capability.MANAGE_CUSTOMERS)
def edit_asset(asset_id: int):
    asset = get_for_company_or_404(Asset, asset_id, *customers.with_customer(Asset))
    form = _asset_form(asset.customer, asset)
    return _record_page(form, asset.customer, "asset", asset, asset.asset_code)


@bp.post("/assets/<int:asset_id>/edit")
@require(Capability.MANAGE_CUSTOMERS)
def save_asset(asset_id: int):
    asset = get_for_company_or_404(Asset, asset_id, *customers.with_customer(Asset))
    return _save_asset(asset.customer, asset)


def _load_asset(asset_id: int) -> Asset:
    return get_for_company_or_404(Asset, asset_id, *customers.asset_options())


def _asset_page(asset: Asset, test_form=None, defect_form=None, status: int = 200):
    today = company_today(g.company)
    return render(
        page="operator/customers/asset.html",
        asset=asset,
        test_form=test_form or AssetTestForm(formdata=None, tested_on=today),
        defect_form=defect_form or DefectForm(formdata=None, found_on=today),
        status=status,
    )


@bp.get("/assets/<int:asset_id>")
@require(Capability.MANAGE_CUSTOMERS)
def asset_detail(asset_id: int):
    return _asset_page(_load_asset(asset_id))


@bp.post("/assets/<int:asset_id>/tests")
@require(Capability.MANAGE_CUSTOMERS)
def add_asset_test(asset_id: int):
    asset = _load_asset(asset_id)
    form = AssetTestForm()
    if _saved(form, "test_number", customers.add_asset_test, asset) is None:
        return _asset_page(asset, test_form=form, status=422)
    flash("Test recorded.", "success")
    return redirect_after_post(url_for("operator.asset_detail", asset_id=asset.id))


@bp.post("/assets/<int:asset_id>/defects")
@require(Capability.MANAGE_CUSTOMERS)
def add_defect(asset_id: int):
    asset = _load_asset(asset_id)
    form = DefectForm()
    if _saved(form, "description", customers.add_defect, asset) is None:
        return _asset_page(asset, defect_form=form, status=422)
    flash("Defect recorded.", "success")
    return redirect_after_post(url_for("operator.asset_detail", asset_id=asset.id))
