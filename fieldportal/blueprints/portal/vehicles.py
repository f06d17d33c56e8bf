"""Vehicles: service status, oil spec, what's due next and a forecast, service history."""

from flask import g

from ...htmx import render
from ...models import PortalPermission, Vehicle
from ...services.billing import documents
from ...services.portal import portal_records
from . import bp
from .access import get_for_customer_or_404, require_permission


@bp.get("/vehicles")
@require_permission(PortalPermission.VEHICLES)
def vehicles():
    return render(
        "portal/vehicles.html",
        fragment="partials/portal/_vehicles.html",
        vehicles=portal_records.vehicles(g.company, g.principal),
    )


@bp.get("/vehicles/<int:vehicle_id>")
@require_permission(PortalPermission.VEHICLES)
def vehicle(vehicle_id):
    page = portal_records.vehicle_page(
        g.company, g.principal, get_for_customer_or_404(Vehicle, vehicle_id)
    )
    return render("portal/vehicle.html", fragment="partials/portal/_vehicle.html", **vars(page))


@bp.get("/vehicles/<int:vehicle_id>/history.pdf")
@require_permission(PortalPermission.VEHICLES)
def vehicle_history_pdf(vehicle_id):
    """The vehicle's service history as a PDF to keep or share (resale, audit)."""
    vehicle = get_for_customer_or_404(Vehicle, vehicle_id)
    rendered = portal_records.vehicle_history_pdf(g.principal, vehicle)
    return documents.pdf_response(rendered, f"service-history-{vehicle.id}.pdf", download=True)
