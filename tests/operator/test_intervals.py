"""THE interval rule (services/fleet/intervals.py): each boundary, and the SQL twin agrees."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from fieldportal.models import Company, Customer, Vehicle
from fieldportal.services.clock import company_today
from fieldportal.services.fleet.intervals import (
    ServiceState,
    ServiceStatus,
    overdue_clause,
    vehicle_service_status,
)

TODAY = date(2026, 6, 15)


def status(
    *,
    odometer=10_000,
    last_odo=None,
    last_on=None,
    v_miles=None,
    v_days=None,
    f_miles=None,
    f_days=None,
    today=TODAY,
    percent=10,
):
    fleet = Customer(interval_miles=f_miles, interval_days=f_days)
    vehicle = Vehicle(
        odometer=odometer,
        last_service_odometer=last_odo,
        last_service_on=last_on,
        interval_miles=v_miles,
        interval_days=v_days,
    )
    return vehicle_service_status(vehicle, today, fleet=fleet, due_soon_percent=percent)


def test_exactly_at_the_mileage_interval_is_not_overdue():
    result = status(odometer=15_000, last_odo=10_000, f_miles=5_000)
    assert result.state == ServiceState.DUE_SOON
    assert result.miles_left == 0


def test_one_mile_over_the_interval_is_overdue():
    assert status(odometer=15_001, last_odo=10_000, f_miles=5_000).state == ServiceState.OVERDUE


def test_due_soon_starts_within_ten_percent():
    assert status(odometer=14_499, last_odo=10_000, f_miles=5_000).state == ServiceState.OK
    assert status(odometer=14_500, last_odo=10_000, f_miles=5_000).state == ServiceState.DUE_SOON


def test_due_soon_percent_is_configurable():
    assert status(odometer=14_000, last_odo=10_000, f_miles=5_000, percent=20).state == (
        ServiceState.DUE_SOON
    )
    assert status(odometer=14_999, last_odo=10_000, f_miles=5_000, percent=0).state == (
        ServiceState.OK
    )


def test_exactly_at_the_day_interval_is_not_overdue_one_day_over_is():
    last = TODAY - timedelta(days=180)
    assert status(last_on=last, last_odo=10_000, f_days=180).state == ServiceState.DUE_SOON
    assert status(last_on=last - timedelta(days=1), last_odo=10_000, f_days=180).state == (
        ServiceState.OVERDUE
    )


def test_no_service_yet_miles_count_from_zero_and_days_cannot_fire():
    assert status(odometer=5_001, f_miles=5_000, f_days=30).state == ServiceState.OVERDUE
    never = status(odometer=100, f_days=30)
    assert never.state == ServiceState.OK and never.due_date is None


def test_only_miles_set_ignores_days_and_only_days_ignores_miles():
    long_ago = TODAY - timedelta(days=3_000)
    assert status(odometer=11_000, last_odo=10_000, last_on=long_ago, f_miles=5_000).state == (
        ServiceState.OK
    )
    assert status(odometer=999_999, last_odo=0, last_on=TODAY, f_days=90).state == ServiceState.OK


def test_whichever_fires_first_wins():
    result = status(
        odometer=10_100,
        last_odo=10_000,
        last_on=TODAY - timedelta(days=200),
        f_miles=5_000,
        f_days=180,
    )
    assert result.state == ServiceState.OVERDUE and result.miles_left == 4_900


def test_due_soon_by_days_starts_exactly_at_the_margin():
    # 10 % of 180 days is 18: due soon with 18 days left, not with 19.
    assert status(last_on=TODAY - timedelta(days=162), f_days=180).state == ServiceState.DUE_SOON
    assert status(last_on=TODAY - timedelta(days=161), f_days=180).state == ServiceState.OK


def test_miles_overdue_stays_overdue_when_the_date_is_far_off():
    result = status(
        odometer=15_001,
        last_odo=10_000,
        last_on=TODAY - timedelta(days=10),
        f_miles=5_000,
        f_days=180,
    )
    assert result.state == ServiceState.OVERDUE


def test_miles_due_soon_stays_due_soon_when_the_date_is_far_off():
    result = status(
        odometer=14_600,
        last_odo=10_000,
        last_on=TODAY - timedelta(days=10),
        f_miles=5_000,
        f_days=180,
    )
    assert result.state == ServiceState.DUE_SOON


def test_the_status_carries_what_the_pages_show():
    """Interval, next odometer, next date and what is left, as the fleet, vehicle and
    portal pages and the CSV export show them; None where a rule does not apply."""
    both = status(
        odometer=14_500,
        last_odo=10_000,
        last_on=TODAY - timedelta(days=170),
        f_miles=5_000,
        f_days=180,
    )
    assert both == ServiceStatus(
        ServiceState.DUE_SOON, 5_000, 180, 15_000, TODAY + timedelta(days=10), 500, 10
    )
    days_only = status(
        odometer=14_500, last_odo=10_000, last_on=TODAY - timedelta(days=100), f_days=180
    )
    assert days_only == ServiceStatus(
        ServiceState.OK, None, 180, None, TODAY + timedelta(days=80), None, 80
    )
    miles_only = status(odometer=11_000, last_odo=10_000, last_on=TODAY, v_miles=5_000)
    assert miles_only == ServiceStatus(ServiceState.OK, 5_000, None, 15_000, None, 4_000, None)


def test_vehicle_override_wins_over_fleet_default():
    assert status(odometer=12_001, last_odo=10_000, v_miles=2_000, f_miles=5_000).state == (
        ServiceState.OVERDUE
    )
    assert status(odometer=12_001, last_odo=10_000, v_miles=9_000, f_miles=2_000).state == (
        ServiceState.OK
    )


def test_no_interval_anywhere_gives_no_alert():
    assert status(odometer=999_999).state == ServiceState.NO_INTERVAL


def test_today_is_the_companys_day_not_utcs():
    company = Company(time_zone="America/Chicago")
    late_evening_chicago = datetime(2026, 6, 16, 3, 30, tzinfo=UTC)  # 22:30 on the 15th there
    today = company_today(company, late_evening_chicago)
    assert today == date(2026, 6, 15)
    last = date(2026, 6, 15) - timedelta(days=180)
    assert status(last_on=last, last_odo=0, f_days=180, today=today).state == ServiceState.DUE_SOON
    utc_today = late_evening_chicago.date()
    assert status(last_on=last, last_odo=0, f_days=180, today=utc_today).state == (
        ServiceState.OVERDUE
    )


@pytest.mark.parametrize(
    ("odometer", "last_odo", "days_ago", "fleet_intervals", "vehicle_intervals", "overdue"),
    [
        (15_000, 10_000, 1, (5_000, None), (None, None), False),
        (15_001, 10_000, 1, (5_000, None), (None, None), True),
        (5_001, None, None, (5_000, 30), (None, None), True),
        (100, 0, 180, (None, 180), (None, None), False),
        (100, 0, 181, (None, 180), (None, None), True),
        (100, 0, 181, (None, None), (None, None), False),
        # The vehicle's own interval wins over the fleet default, in both directions.
        (12_001, 10_000, 1, (5_000, None), (2_000, None), True),
        (12_001, 10_000, 1, (2_000, None), (9_000, None), False),
        (100, 0, 31, (None, 180), (None, 30), True),
        (100, 0, 200, (None, 180), (None, 365), False),
        # An override of one interval leaves the fleet's other interval in force.
        (100, 0, 181, (None, 180), (9_000, None), True),
    ],
)
def test_sql_overdue_clause_agrees_with_the_python_rule(
    db, company, create, odometer, last_odo, days_ago, fleet_intervals, vehicle_intervals, overdue
):
    fleet_miles, fleet_days = fleet_intervals
    fleet = create.fleet(company, vehicles=0, interval_miles=fleet_miles, interval_days=fleet_days)
    today = date(2026, 6, 15)
    vehicle_miles, vehicle_days = vehicle_intervals
    vehicle = create.vehicle(
        fleet,
        odometer=odometer,
        last_service_odometer=last_odo,
        last_service_on=today - timedelta(days=days_ago) if days_ago else None,
        interval_miles=vehicle_miles,
        interval_days=vehicle_days,
    )
    python_overdue = vehicle_service_status(vehicle, today, fleet=fleet).is_overdue
    sql_overdue = (
        db.session.scalar(
            select(Vehicle.id)
            .join(Customer, Customer.id == Vehicle.customer_id)
            .where(
                Vehicle.id == vehicle.id, overdue_clause(today, db.session.get_bind().dialect.name)
            )
        )
        is not None
    )
    assert (python_overdue, sql_overdue) == (overdue, overdue)


@pytest.mark.parametrize(
    ("odometer", "days_ago", "fleet_intervals", "vehicle_intervals", "percent", "flagged"),
    [
        # 10 % of 5,000 miles: due soon from 500 miles before the due odometer (15,000).
        (14_500, 1, (5_000, None), (None, None), 10, True),
        (14_499, 1, (5_000, None), (None, None), 10, False),
        (15_001, 1, (5_000, None), (None, None), 10, True),
        (14_000, 1, (5_000, None), (None, None), 20, True),
        (13_999, 1, (5_000, None), (None, None), 20, False),
        # 10 % of 180 days: due soon from 18 days before the due date.
        (10_000, 162, (None, 180), (None, None), 10, True),
        (10_000, 161, (None, 180), (None, None), 10, False),
        (10_000, 200, (None, 180), (None, None), 10, True),
        # The vehicle's own interval and its own margin, not the fleet's.
        (11_800, 1, (5_000, None), (2_000, None), 10, True),
        (11_799, 1, (5_000, None), (2_000, None), 10, False),
        (18_099, 1, (2_000, None), (9_000, None), 10, False),
        (18_100, 1, (2_000, None), (9_000, None), 10, True),
        (10_000, 27, (None, 180), (None, 30), 10, True),
        (10_000, 26, (None, 180), (None, 30), 10, False),
        (10_000, 300, (None, None), (None, None), 10, False),
    ],
)
def test_sql_due_soon_clause_agrees_with_the_python_rule(
    db, company, create, odometer, days_ago, fleet_intervals, vehicle_intervals, percent, flagged
):
    """overdue_clause(..., due_soon_percent) is "overdue or due soon", the same margin as
    vehicle_service_status: each boundary from both sides (last service at 10,000 miles)."""
    fleet_miles, fleet_days = fleet_intervals
    fleet = create.fleet(company, vehicles=0, interval_miles=fleet_miles, interval_days=fleet_days)
    today = date(2026, 6, 15)
    vehicle_miles, vehicle_days = vehicle_intervals
    vehicle = create.vehicle(
        fleet,
        odometer=odometer,
        last_service_odometer=10_000,
        last_service_on=today - timedelta(days=days_ago),
        interval_miles=vehicle_miles,
        interval_days=vehicle_days,
    )
    state = vehicle_service_status(vehicle, today, fleet=fleet, due_soon_percent=percent).state
    clause = overdue_clause(today, db.session.get_bind().dialect.name, due_soon_percent=percent)
    sql_flagged = (
        db.session.scalar(
            select(Vehicle.id)
            .join(Customer, Customer.id == Vehicle.customer_id)
            .where(Vehicle.id == vehicle.id, clause)
        )
        is not None
    )
    python_flagged = state in (ServiceState.OVERDUE, ServiceState.DUE_SOON)
    assert (python_flagged, sql_flagged) == (flagged, flagged)
