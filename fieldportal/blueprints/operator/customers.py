"""Customers and their records: contacts, sites, vehicles, assets, job types, history."""

from flask import abort, flash, g, request, url_for
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...htmx import is_fragment_request, redirect_after_post, render
from ...models import (
    Asset,
    AuditEvent,
    Capability,
    Contact,
    Customer,
    CustomerKind,
    JobType,
    OdometerReading,
    Site,
    Vehicle,
)
from ...query_args import page_number
from ...services import fleets
from ...services.clock import company_today
from ...services.customers import (
    CustomerRuleError,
    add_asset_test,
    add_contact,
    add_defect,
    convert_to_fleet,
    create_customer,
    remove_contact,
    save_asset,
    save_site,
    save_vehicle,
    set_requestable_job_types,
    update_contact,
    update_customer,
)
from ...services.fleets import escape_like
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
    vin_looks_valid,
)

CUSTOMERS_PER_PAGE = 25
HISTORY_LIMIT = 50


@bp.route("/customers")
@require(Capability.MANAGE_CUSTOMERS)
def customers():
    q = (request.args.get("q") or "").replace("\x00", "").strip()[:100]
    kind = request.args.get("kind", "")
    kind = kind if kind in CustomerKind._value2member_map_ else ""
    conditions = [Customer.company_id == g.company.id, Customer.archived_at.is_(None)]
    if q:
        pattern = f"%{escape_like(q)}%"
        conditions.append(
            or_(
                Customer.name.ilike(pattern, escape="\\"),
                Customer.email.ilike(pattern, escape="\\"),
            )
        )
    if kind:
        conditions.append(Customer.kind == CustomerKind(kind))
    total = db.session.scalar(select(func.count(Customer.id)).where(*conditions))
    pages = max(1, -(-total // CUSTOMERS_PER_PAGE))
    page = min(page_number(request.args), pages)
    rows = db.session.scalars(
        select(Customer)
        .where(*conditions)
        .order_by(func.lower(Customer.name), Customer.id)
        .limit(CUSTOMERS_PER_PAGE)
        .offset((page - 1) * CUSTOMERS_PER_PAGE)
    ).all()
    params = {k: v for k, v in (("q", q), ("kind", kind)) if v}
    return render(
        page="operator/customers/index.html",
        fragment="partials/operator/_customer_table.html",
        customers=rows,
        total=total,
        current_page=page,
        pages=pages,
        q=q,
        kind=kind,
        params=params,
        kinds=list(CustomerKind),
    )


def _form_page(form, heading: str, action: str, back: str, status: int = 200, note=None):
    return render(
        page="operator/customers/record_form.html",
        form=form,
        heading=heading,
        action=action,
        back=back,
        status=status,
        note=note,
    )


def _status_of(form) -> int:
    return 422 if form.is_submitted() else 200


@bp.route("/customers/new", methods=["GET", "POST"])
@require(Capability.MANAGE_CUSTOMERS)
def new_customer():
    form = CustomerForm()
    if request.method == "GET":
        form.billing_terms.data = g.company.default_billing_terms.value
        form.kind.data = request.args.get("kind", "consumer")
    if form.validate_on_submit():
        customer = create_customer(g.company, by=g.staff, **form.values())
        db.session.commit()
        flash(f"{customer.name} added.", "success")
        return redirect_after_post(url_for("operator.customer_detail", customer_id=customer.id))
    return _form_page(
        form,
        "New customer",
        url_for("operator.new_customer"),
        url_for("operator.customers"),
        _status_of(form),
    )


@bp.route("/customers/<int:customer_id>")
@require(Capability.MANAGE_CUSTOMERS)
def customer_detail(customer_id: int):
    customer = get_for_company_or_404(Customer, customer_id)
    asset_q = (request.args.get("asset_q") or "").replace("\x00", "").strip()[:60]
    asset_query = (
        select(Asset)
        .where(Asset.customer_id == customer.id, Asset.company_id == g.company.id)
        .options(selectinload(Asset.defects), selectinload(Asset.tests), selectinload(Asset.site))
        .order_by(Asset.asset_code)
        .limit(200)
    )
    if asset_q:
        pattern = f"%{escape_like(asset_q)}%"
        asset_query = asset_query.where(
            or_(
                Asset.asset_code.ilike(pattern, escape="\\"),
                Asset.asset_type.ilike(pattern, escape="\\"),
                Asset.serial_number.ilike(pattern, escape="\\"),
            )
        )
    assets = db.session.scalars(asset_query).all()
    if is_fragment_request():
        return render(
            page="operator/customers/detail.html",
            fragment="partials/operator/_customer_assets.html",
            customer=customer,
            assets=assets,
            asset_q=asset_q,
        )
    contacts = db.session.scalars(
        select(Contact)
        .where(Contact.customer_id == customer.id, Contact.removed_at.is_(None))
        .options(selectinload(Contact.sites))
        .order_by(Contact.id)
    ).all()
    job_types_form = JobTypesForm(job_type_ids=[t.id for t in customer.requestable_job_types])
    job_types_form.job_type_ids.choices = _job_type_choices()
    history = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.customer_id == customer.id, AuditEvent.company_id == g.company.id)
        .options(selectinload(AuditEvent.staff_user), selectinload(AuditEvent.contact))
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(HISTORY_LIMIT)
    ).all()
    return render(
        page="operator/customers/detail.html",
        customer=customer,
        contacts=contacts,
        sites=customer.sites,
        vehicles=fleets.vehicles_with_status(g.company, customer, inactive=True),
        assets=assets,
        asset_q=asset_q,
        job_types_form=job_types_form,
        history=history,
        vin_looks_valid=vin_looks_valid,
    )


@bp.route("/customers/<int:customer_id>/edit", methods=["GET", "POST"])
@require(Capability.MANAGE_CUSTOMERS)
def edit_customer(customer_id: int):
    customer = get_for_company_or_404(Customer, customer_id)
    form = CustomerForm(obj=customer)
    if request.method == "GET":
        form.kind.data = customer.kind.value
        form.billing_terms.data = customer.billing_terms.value
    if form.validate_on_submit():
        update_customer(customer, by=g.staff, **form.values())
        db.session.commit()
        flash("Customer saved.", "success")
        return redirect_after_post(url_for("operator.customer_detail", customer_id=customer.id))
    return _form_page(
        form,
        f"Edit {customer.name}",
        url_for("operator.edit_customer", customer_id=customer.id),
        url_for("operator.customer_detail", customer_id=customer.id),
        _status_of(form),
    )


@bp.route("/customers/<int:customer_id>/convert", methods=["POST"])
@require(Capability.MANAGE_CUSTOMERS)
def convert_customer(customer_id: int):
    customer = get_for_company_or_404(Customer, customer_id)
    try:
        convert_to_fleet(customer, g.company, by=g.staff)
    except CustomerRuleError as error:
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(f"{customer.name} is now a fleet.", "success")
    return redirect_after_post(url_for("operator.customer_detail", customer_id=customer.id))


def _site_choices(customer: Customer):
    return [(site.id, site.name) for site in customer.sites]


def _sites_from(customer: Customer, ids) -> list[Site]:
    wanted = set(ids or [])
    return [site for site in customer.sites if site.id in wanted]


def _contact_form(customer: Customer, contact: Contact | None):
    form = ContactForm(obj=contact) if contact else ContactForm()
    form.site_ids.choices = _site_choices(customer)
    if request.method == "GET" and contact:
        form.site_ids.data = [site.id for site in contact.sites]
    return form


@bp.route("/customers/<int:customer_id>/contacts/new", methods=["GET", "POST"])
@require(Capability.MANAGE_CUSTOMERS)
def new_contact(customer_id: int):
    customer = get_for_company_or_404(Customer, customer_id)
    form = _contact_form(customer, None)
    first = not any(c.removed_at is None for c in customer.contacts)
    if request.method == "GET" and first:
        form.is_admin.data = True
    if form.validate_on_submit():
        try:
            add_contact(
                customer,
                by=g.staff,
                sites=_sites_from(customer, form.site_ids.data),
                **form.values(),
            )
        except CustomerRuleError as error:
            form.email.errors = [*form.email.errors, str(error)]
        else:
            db.session.commit()
            flash("Contact added.", "success")
            return redirect_after_post(url_for("operator.customer_detail", customer_id=customer.id))
    return _form_page(
        form,
        f"New contact for {customer.name}",
        url_for("operator.new_contact", customer_id=customer.id),
        url_for("operator.customer_detail", customer_id=customer.id),
        _status_of(form),
        note="The first contact is an admin by default." if first else None,
    )


@bp.route("/contacts/<int:contact_id>/edit", methods=["GET", "POST"])
@require(Capability.MANAGE_CUSTOMERS)
def edit_contact(contact_id: int):
    contact = get_for_company_or_404(Contact, contact_id)
    if contact.removed_at:
        abort(404)
    customer = contact.customer
    form = _contact_form(customer, contact)
    if form.validate_on_submit():
        try:
            update_contact(
                contact,
                by=g.staff,
                sites=_sites_from(customer, form.site_ids.data),
                **form.values(),
            )
        except CustomerRuleError as error:
            db.session.rollback()
            form.email.errors = [*form.email.errors, str(error)]
        else:
            db.session.commit()
            flash("Contact saved.", "success")
            return redirect_after_post(url_for("operator.customer_detail", customer_id=customer.id))
    return _form_page(
        form,
        f"Edit {contact.name}",
        url_for("operator.edit_contact", contact_id=contact.id),
        url_for("operator.customer_detail", customer_id=customer.id),
        _status_of(form),
    )


@bp.route("/contacts/<int:contact_id>/remove", methods=["POST"])
@require(Capability.MANAGE_CUSTOMERS)
def remove_contact_view(contact_id: int):
    contact = get_for_company_or_404(Contact, contact_id)
    if contact.removed_at:
        abort(404)
    remove_contact(contact, by=g.staff)
    db.session.commit()
    flash(f"{contact.name} removed; their portal access has ended.", "success")
    return redirect_after_post(url_for("operator.customer_detail", customer_id=contact.customer_id))


def _save_site(customer: Customer, site: Site | None):
    form = SiteForm(obj=site) if site else SiteForm()
    if form.validate_on_submit():
        save_site(customer, site, by=g.staff, **form.values())
        db.session.commit()
        flash("Site saved.", "success")
        return redirect_after_post(url_for("operator.customer_detail", customer_id=customer.id))
    action = (
        url_for("operator.edit_site", site_id=site.id)
        if site
        else url_for("operator.new_site", customer_id=customer.id)
    )
    return _form_page(
        form,
        f"Edit site {site.name}" if site else f"New site for {customer.name}",
        action,
        url_for("operator.customer_detail", customer_id=customer.id),
        _status_of(form),
    )


@bp.route("/customers/<int:customer_id>/sites/new", methods=["GET", "POST"])
@require(Capability.MANAGE_CUSTOMERS)
def new_site(customer_id: int):
    return _save_site(get_for_company_or_404(Customer, customer_id), None)


@bp.route("/sites/<int:site_id>/edit", methods=["GET", "POST"])
@require(Capability.MANAGE_CUSTOMERS)
def edit_site(site_id: int):
    site = get_for_company_or_404(Site, site_id)
    return _save_site(site.customer, site)


def _save_vehicle(customer: Customer, vehicle: Vehicle | None):
    form = VehicleForm(obj=vehicle) if vehicle else VehicleForm()
    form.site_id.choices = [(None, "—"), *_site_choices(customer)]
    if form.validate_on_submit():
        try:
            vehicle = save_vehicle(customer, vehicle, by=g.staff, **form.values())
        except CustomerRuleError as error:
            db.session.rollback()
            form.odometer.errors = [*form.odometer.errors, str(error)]
        else:
            db.session.commit()
            flash(
                "Vehicle saved."
                + (
                    ""
                    if not vehicle.vin or vin_looks_valid(vehicle.vin)
                    else " Its VIN does not look like a standard 17-character VIN."
                ),
                "success",
            )
            return redirect_after_post(url_for("operator.vehicle_detail", vehicle_id=vehicle.id))
    action = (
        url_for("operator.edit_vehicle", vehicle_id=vehicle.id)
        if vehicle
        else url_for("operator.new_vehicle", customer_id=customer.id)
    )
    return _form_page(
        form,
        f"Edit {vehicle.label}" if vehicle else f"New vehicle for {customer.name}",
        action,
        url_for("operator.customer_detail", customer_id=customer.id),
        _status_of(form),
        note="Leave the interval overrides empty to use the fleet's default.",
    )


@bp.route("/customers/<int:customer_id>/vehicles/new", methods=["GET", "POST"])
@require(Capability.MANAGE_CUSTOMERS)
def new_vehicle(customer_id: int):
    return _save_vehicle(get_for_company_or_404(Customer, customer_id), None)


@bp.route("/vehicles/<int:vehicle_id>/edit", methods=["GET", "POST"])
@require(Capability.MANAGE_CUSTOMERS)
def edit_vehicle(vehicle_id: int):
    vehicle = get_for_company_or_404(Vehicle, vehicle_id)
    return _save_vehicle(vehicle.customer, vehicle)


@bp.route("/vehicles/<int:vehicle_id>", methods=["GET", "POST"])
@require(Capability.MANAGE_CUSTOMERS)
def vehicle_detail(vehicle_id: int):
    vehicle = get_for_company_or_404(Vehicle, vehicle_id)
    form = OdometerForm()
    status = 200
    if form.validate_on_submit():
        try:
            save_vehicle(vehicle.customer, vehicle, by=g.staff, odometer=form.odometer.data)
        except CustomerRuleError as error:
            db.session.rollback()
            form.odometer.errors = [str(error)]
            status = 422
        else:
            db.session.commit()
            flash("Odometer reading recorded.", "success")
            return redirect_after_post(url_for("operator.vehicle_detail", vehicle_id=vehicle.id))
    elif form.is_submitted():
        status = 422
    readings = db.session.scalars(
        select(OdometerReading)
        .where(OdometerReading.vehicle_id == vehicle.id)
        .order_by(OdometerReading.recorded_at.desc(), OdometerReading.id.desc())
        .limit(100)
    ).all()
    service_status = fleets.service_status(g.company, vehicle)
    return render(
        page="operator/customers/vehicle.html",
        vehicle=vehicle,
        form=form,
        readings=readings,
        service_status=service_status,
        status=status,
        vin_ok=not vehicle.vin or vin_looks_valid(vehicle.vin),
    )


def _save_asset(customer: Customer, asset: Asset | None):
    form = AssetForm(obj=asset) if asset else AssetForm()
    form.asset_code.label.text = g.company.asset_id_label
    form.site_id.choices = [(None, "—"), *_site_choices(customer)]
    if form.validate_on_submit():
        try:
            asset = save_asset(customer, asset, by=g.staff, **form.values())
        except CustomerRuleError as error:
            db.session.rollback()
            form.asset_code.errors = [*form.asset_code.errors, str(error)]
        else:
            db.session.commit()
            flash("Asset saved.", "success")
            return redirect_after_post(url_for("operator.asset_detail", asset_id=asset.id))
    action = (
        url_for("operator.edit_asset", asset_id=asset.id)
        if asset
        else url_for("operator.new_asset", customer_id=customer.id)
    )
    return _form_page(
        form,
        f"Edit {asset.asset_code}" if asset else f"New asset for {customer.name}",
        action,
        url_for("operator.customer_detail", customer_id=customer.id),
        _status_of(form),
    )


@bp.route("/customers/<int:customer_id>/assets/new", methods=["GET", "POST"])
@require(Capability.MANAGE_CUSTOMERS)
def new_asset(customer_id: int):
    return _save_asset(get_for_company_or_404(Customer, customer_id), None)


@bp.route("/assets/<int:asset_id>/edit", methods=["GET", "POST"])
@require(Capability.MANAGE_CUSTOMERS)
def edit_asset(asset_id: int):
    asset = get_for_company_or_404(Asset, asset_id)
    return _save_asset(asset.customer, asset)


def _asset_page(asset: Asset, test_form=None, defect_form=None, status: int = 200):
    return render(
        page="operator/customers/asset.html",
        asset=asset,
        test_form=test_form or AssetTestForm(formdata=None, tested_on=company_today(g.company)),
        defect_form=defect_form or DefectForm(formdata=None, found_on=company_today(g.company)),
        status=status,
    )


@bp.route("/assets/<int:asset_id>")
@require(Capability.MANAGE_CUSTOMERS)
def asset_detail(asset_id: int):
    return _asset_page(get_for_company_or_404(Asset, asset_id))


@bp.route("/assets/<int:asset_id>/tests", methods=["POST"])
@require(Capability.MANAGE_CUSTOMERS)
def add_asset_test_view(asset_id: int):
    asset = get_for_company_or_404(Asset, asset_id)
    form = AssetTestForm()
    if not form.validate_on_submit():
        return _asset_page(asset, test_form=form, status=422)
    add_asset_test(asset, by=g.staff, **form.values())
    db.session.commit()
    flash("Test recorded.", "success")
    return redirect_after_post(url_for("operator.asset_detail", asset_id=asset.id))


@bp.route("/assets/<int:asset_id>/defects", methods=["POST"])
@require(Capability.MANAGE_CUSTOMERS)
def add_defect_view(asset_id: int):
    asset = get_for_company_or_404(Asset, asset_id)
    form = DefectForm()
    if not form.validate_on_submit():
        return _asset_page(asset, defect_form=form, status=422)
    add_defect(asset, by=g.staff, **form.values())
    db.session.commit()
    flash("Defect recorded.", "success")
    return redirect_after_post(url_for("operator.asset_detail", asset_id=asset.id))


def _job_type_choices():
    return [
        (t.id, t.name)
        for t in db.session.scalars(
            select(JobType)
            .where(JobType.company_id == g.company.id, JobType.active.is_(True))
            .order_by(JobType.name)
        )
    ]


@bp.route("/customers/<int:customer_id>/job-types", methods=["POST"])
@require(Capability.MANAGE_CUSTOMERS)
def customer_job_types(customer_id: int):
    customer = get_for_company_or_404(Customer, customer_id)
    form = JobTypesForm()
    form.job_type_ids.choices = _job_type_choices()
    if not form.validate_on_submit():
        flash("Choose job types from the list; nothing was changed.", "error")
        response = customer_detail(customer.id)
        response.status_code = 422
        return response
    chosen = db.session.scalars(
        select(JobType).where(
            JobType.id.in_(form.job_type_ids.data or []), JobType.company_id == g.company.id
        )
    ).all()
    set_requestable_job_types(customer, list(chosen), by=g.staff)
    db.session.commit()
    flash("Requestable job types saved.", "success")
    return redirect_after_post(url_for("operator.customer_detail", customer_id=customer.id))
