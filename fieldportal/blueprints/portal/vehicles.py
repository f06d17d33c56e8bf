"""Vehicles: service status, oil spec, what's due next and a forecast, service history."""

from flask import g
from sqlalchemy import select

from ...htmx import render
from ...models import Job, PortalPermission, Vehicle
from ...services.billing import documents
from ...services.clock import company_today
from ...services.fleet import fleets
from ...services.portal.portal_records import forecast_due_date, vehicle_history
from . import bp
from .access import customer_scope, get_for_customer_or_404, require_permission


@bp.route("/vehicles")
@require_permission(PortalPermission.VEHICLES)
def vehicles():
    return render(
        "portal/vehicles.html",
        fragment="partials/portal/_vehicles.html",
        vehicles=fleets.vehicles_with_status(
            g.company, g.customer, customer_scope(select(Vehicle), Vehicle)
        ),
    )


@bp.route("/vehicles/<int:vehicle_id>")
@require_permission(PortalPermission.VEHICLES)
def vehicle(vehicle_id):
    vehicle = get_for_customer_or_404(Vehicle, vehicle_id)
    today = company_today(g.company)
    status = fleets.service_status(g.company, vehicle, g.customer)
    return render(
        "portal/vehicle.html",
        fragment="partials/portal/_vehicle.html",
        vehicle=vehicle,
        service_status=status,
        forecast=forecast_due_date(vehicle, status, today),
        history=vehicle_history(customer_scope(select(Job), Job), vehicle),
    )


@bp.get("/vehicles/<int:vehicle_id>/history.pdf")
@require_permission(PortalPermission.VEHICLES)
def vehicle_history_pdf(vehicle_id):
    """The vehicle's service history as a PDF to keep or share (resale, audit)."""
    vehicle = get_for_customer_or_404(Vehicle, vehicle_id)
    rendered = documents.vehicle_history_pdf(vehicle, customer_scope(select(Job), Job))
    return documents.pdf_response(rendered, f"service-history-{vehicle.id}.pdf", download=True)
