"""Customers and their records: contacts, sites, vehicles, assets, job types, history.

Each record has a GET view showing its form and a POST view saving it. The services check
their rules before they change anything, and the commit point rolls a refused request
back, so a form shown again (422) sits over the records as the database has them.
"""

from flask import abort, flash, g, request, url_for

from ...htmx import is_fragment_request, redirect_after_post, render
from ...models import Asset, Capability, Contact, Customer, CustomerKind, Site, Vehicle
from ...services import customers
from ...services.clock import company_today
from ...services.errors import RuleError
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


def _saved(form, field_name: str, save):
    """Validate the form and run ``save``: what it saved, or None when the form must be
    shown again (with the service's messages on their fields, else on ``field_name``)."""
    if not form.validate():
        return None
    try:
        return save()
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
    customer = _saved(
        form, "name", lambda: customers.create_customer(g.company, by=g.staff, **form.values())
    )
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
    job_types_form.job_type_ids.choices = [(t.id, t.name) for t in detail.job_types]
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
    if (
        _saved(
            form, "name", lambda: customers.update_customer(customer, by=g.staff, **form.values())
        )
        is None
    ):
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
    form.job_type_ids.choices = [(t.id, t.name) for t in customers.offered_job_types(g.company.id)]
    if not form.validate():
        flash("Choose job types from the list; nothing was changed.", "error")
        return _detail_page(customer, status=422)
    customers.set_requestable_job_types(customer, form.job_type_ids.data, by=g.staff)
    flash("Requestable job types saved.", "success")
    return _to_customer(customer.id)


# ---------------------------------------------------------------- contacts


def _offer_sites(form: ContactForm, customer: Customer) -> ContactForm:
    form.site_ids.choices = [(site.id, site.name) for site in customers.sites_of(customer)]
    return form


def _contact_page(form: ContactForm, customer: Customer, contact: Contact | None):
    back = url_for("operator.customer_detail", customer_id=customer.id)
    if contact is not None:
        action = url_for("operator.edit_contact", contact_id=contact.id)
        return _form_page(form, f"Edit {contact.name}", action, back)
    first = not customers.has_contacts(customer)
    note = "The first contact is an admin by default." if first else None
    action = url_for("operator.new_contact", customer_id=customer.id)
    return _form_page(form, f"New contact for {customer.name}", action, back, note=note)


@bp.get("/customers/<int:customer_id>/contacts/new")
@require(Capability.MANAGE_CUSTOMERS)
def new_contact(customer_id: int):
    customer = get_for_company_or_404(Customer, customer_id)
    form = _offer_sites(ContactForm(), customer)
    form.is_admin.data = not customers.has_contacts(customer)
    return _contact_page(form, customer, None)


@bp.post("/customers/<int:customer_id>/contacts/new")
@require(Capability.MANAGE_CUSTOMERS)
def add_contact(customer_id: int):
    customer = get_for_company_or_404(Customer, customer_id)
    form = _offer_sites(ContactForm(), customer)
    add = lambda: customers.add_contact(customer, by=g.staff, **form.values())  # noqa: E731
    if _saved(form, "email", add) is None:
        return _contact_page(form, customer, None)
    flash("Contact added.", "success")
    return _to_customer(customer.id)


@bp.get("/contacts/<int:contact_id>/edit")
@require(Capability.MANAGE_CUSTOMERS)
def edit_contact(contact_id: int):
    contact = _load_contact(contact_id)
    form = _offer_sites(ContactForm(obj=contact), contact.customer)
    form.site_ids.data = [site.id for site in contact.sites]
    return _contact_page(form, contact.customer, contact)


@bp.post("/contacts/<int:contact_id>/edit")
@require(Capability.MANAGE_CUSTOMERS)
def save_contact(contact_id: int):
    contact = _load_contact(contact_id)
    form = _offer_sites(ContactForm(obj=contact), contact.customer)
    save = lambda: customers.update_contact(contact, by=g.staff, **form.values())  # noqa: E731
    if _saved(form, "email", save) is None:
        return _contact_page(form, contact.customer, contact)
    flash("Contact saved.", "success")
    return _to_customer(contact.customer_id)


@bp.post("/contacts/<int:contact_id>/remove")
@require(Capability.MANAGE_CUSTOMERS)
def remove_contact(contact_id: int):
    contact = _load_contact(contact_id)
    customers.remove_contact(contact, by=g.staff)
    flash(f"{contact.name} removed; their portal access has ended.", "success")
    return _to_customer(contact.customer_id)


# ---------------------------------------------------------------- sites


def _site_page(form: SiteForm, customer: Customer, site: Site | None):
    back = url_for("operator.customer_detail", customer_id=customer.id)
    if site is not None:
        action = url_for("operator.edit_site", site_id=site.id)
        return _form_page(form, f"Edit site {site.name}", action, back)
    action = url_for("operator.new_site", customer_id=customer.id)
    return _form_page(form, f"New site for {customer.name}", action, back)


def _save_site(form: SiteForm, customer: Customer, site: Site | None):
    if (
        _saved(
            form, "name", lambda: customers.save_site(customer, site, by=g.staff, **form.values())
        )
        is None
    ):
        return _site_page(form, customer, site)
    flash("Site saved.", "success")
    return _to_customer(customer.id)


@bp.get("/customers/<int:customer_id>/sites/new")
@require(Capability.MANAGE_CUSTOMERS)
def new_site(customer_id: int):
    return _site_page(SiteForm(), get_for_company_or_404(Customer, customer_id), None)


@bp.post("/customers/<int:customer_id>/sites/new")
@require(Capability.MANAGE_CUSTOMERS)
def create_site(customer_id: int):
    return _save_site(SiteForm(), get_for_company_or_404(Customer, customer_id), None)


@bp.get("/sites/<int:site_id>/edit")
@require(Capability.MANAGE_CUSTOMERS)
def edit_site(site_id: int):
    site = get_for_company_or_404(Site, site_id, *customers.with_customer(Site))
    return _site_page(SiteForm(obj=site), site.customer, site)


@bp.post("/sites/<int:site_id>/edit")
@require(Capability.MANAGE_CUSTOMERS)
def save_site(site_id: int):
    site = get_for_company_or_404(Site, site_id, *customers.with_customer(Site))
    return _save_site(SiteForm(obj=site), site.customer, site)


# ---------------------------------------------------------------- vehicles


def _vehicle_page(form: VehicleForm, customer: Customer, vehicle: Vehicle | None):
    form.site_id.choices = [(None, "—")] + [(s.id, s.name) for s in customers.sites_of(customer)]
    back = url_for("operator.customer_detail", customer_id=customer.id)
    note = "Leave the interval overrides empty to use the fleet's default."
    if vehicle is not None:
        action = url_for("operator.edit_vehicle", vehicle_id=vehicle.id)
        return _form_page(form, f"Edit {vehicle.label}", action, back, note=note)
    action = url_for("operator.new_vehicle", customer_id=customer.id)
    return _form_page(form, f"New vehicle for {customer.name}", action, back, note=note)


def _save_vehicle(customer: Customer, vehicle: Vehicle | None):
    form = VehicleForm(obj=vehicle)
    form.site_id.choices = [(None, "—")] + [(s.id, s.name) for s in customers.sites_of(customer)]
    saved = _saved(
        form,
        "odometer",
        lambda: customers.save_vehicle(customer, vehicle, by=g.staff, **form.values()),
    )
    if saved is None:
        return _vehicle_page(form, customer, vehicle)
    odd_vin = saved.vin and not vin_looks_valid(saved.vin)
    warning = " Its VIN does not look like a standard 17-character VIN." if odd_vin else ""
    flash("Vehicle saved." + warning, "success")
    return redirect_after_post(url_for("operator.vehicle_detail", vehicle_id=saved.id))


@bp.get("/customers/<int:customer_id>/vehicles/new")
@require(Capability.MANAGE_CUSTOMERS)
def new_vehicle(customer_id: int):
    return _vehicle_page(VehicleForm(), get_for_company_or_404(Customer, customer_id), None)


@bp.post("/customers/<int:customer_id>/vehicles/new")
@require(Capability.MANAGE_CUSTOMERS)
def create_vehicle(customer_id: int):
    return _save_vehicle(get_for_company_or_404(Customer, customer_id), None)


@bp.get("/vehicles/<int:vehicle_id>/edit")
@require(Capability.MANAGE_CUSTOMERS)
def edit_vehicle(vehicle_id: int):
    vehicle = get_for_company_or_404(Vehicle, vehicle_id, *customers.with_customer(Vehicle))
    return _vehicle_page(VehicleForm(obj=vehicle), vehicle.customer, vehicle)


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
    reading = form.odometer.data
    save = lambda: customers.save_vehicle(vehicle.customer, vehicle, by=g.staff, odometer=reading)  # noqa: E731
    if _saved(form, "odometer", save) is None:
        return _vehicle_detail(vehicle, form, status=422)
    flash("Odometer reading recorded.", "success")
    return redirect_after_post(url_for("operator.vehicle_detail", vehicle_id=vehicle.id))


# ---------------------------------------------------------------- assets


def _asset_form_page(form: AssetForm, customer: Customer, asset: Asset | None):
    form.asset_code.label.text = g.company.asset_id_label
    form.site_id.choices = [(None, "—")] + [(s.id, s.name) for s in customers.sites_of(customer)]
    back = url_for("operator.customer_detail", customer_id=customer.id)
    if asset is not None:
        action = url_for("operator.edit_asset", asset_id=asset.id)
        return _form_page(form, f"Edit {asset.asset_code}", action, back)
    action = url_for("operator.new_asset", customer_id=customer.id)
    return _form_page(form, f"New asset for {customer.name}", action, back)


def _save_asset(customer: Customer, asset: Asset | None):
    form = AssetForm(obj=asset)
    form.site_id.choices = [(None, "—")] + [(s.id, s.name) for s in customers.sites_of(customer)]
    saved = _saved(
        form,
        "asset_code",
        lambda: customers.save_asset(customer, asset, by=g.staff, **form.values()),
    )
    if saved is None:
        return _asset_form_page(form, customer, asset)
    flash("Asset saved.", "success")
    return redirect_after_post(url_for("operator.asset_detail", asset_id=saved.id))


@bp.get("/customers/<int:customer_id>/assets/new")
@require(Capability.MANAGE_CUSTOMERS)
def new_asset(customer_id: int):
    return _asset_form_page(AssetForm(), get_for_company_or_404(Customer, customer_id), None)


@bp.post("/customers/<int:customer_id>/assets/new")
@require(Capability.MANAGE_CUSTOMERS)
def create_asset(customer_id: int):
    return _save_asset(get_for_company_or_404(Customer, customer_id), None)


@bp.get("/assets/<int:asset_id>/edit")
@require(Capability.MANAGE_CUSTOMERS)
def edit_asset(asset_id: int):
    asset = get_for_company_or_404(Asset, asset_id, *customers.with_customer(Asset))
    return _asset_form_page(AssetForm(obj=asset), asset.customer, asset)


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
    if (
        _saved(
            form,
            "test_number",
            lambda: customers.add_asset_test(asset, by=g.staff, **form.values()),
        )
        is None
    ):
        return _asset_page(asset, test_form=form, status=422)
    flash("Test recorded.", "success")
    return redirect_after_post(url_for("operator.asset_detail", asset_id=asset.id))


@bp.post("/assets/<int:asset_id>/defects")
@require(Capability.MANAGE_CUSTOMERS)
def add_defect(asset_id: int):
    asset = _load_asset(asset_id)
    form = DefectForm()
    if (
        _saved(
            form, "description", lambda: customers.add_defect(asset, by=g.staff, **form.values())
        )
        is None
    ):
        return _asset_page(asset, defect_form=form, status=422)
    flash("Defect recorded.", "success")
    return redirect_after_post(url_for("operator.asset_detail", asset_id=asset.id))
