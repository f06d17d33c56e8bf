"""Realistic, deterministic demo data for two companies (``flask demo-data``).

Every status of every object exists at the small scale; the large scale builds 2,000
fleets, 20,000 vehicles, 200,000 jobs and 100,000 invoices for benchmarks. Rows are
written with bulk inserts and explicit ids, so foreign keys need no round trips.
"""

import io
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, insert, select, text

from .extensions import db
from .models import (
    Asset,
    AssetDefect,
    AssetTest,
    AuditEvent,
    BillingTerms,
    Company,
    Contact,
    Customer,
    CustomerJobType,
    CustomerKind,
    DefectSeverity,
    DefectStatus,
    Invoice,
    InvoiceStatus,
    Job,
    JobStatus,
    JobStatusChange,
    JobType,
    LineItem,
    OdometerReading,
    Payment,
    PaymentMethod,
    PortalPermission,
    Quote,
    QuoteDecision,
    QuoteDecisionKind,
    QuoteStatus,
    Report,
    ReportKind,
    ReportStatus,
    RequestStatus,
    ServiceRequest,
    Site,
    StaffRole,
    StaffUser,
    Urgency,
    Vehicle,
    contact_sites,
)
from .services.passwords import hash_secret
from .services.tokens import new_token, token_hash

STAFF_PASSWORD = "demo-password-1"
PORTAL_PASSWORD = "demo-portal-1"
PORTAL_PIN = "246810"

DEMO_CREDENTIALS_TEXT = f"""
Demo sign-in (http://127.0.0.1:5000):
  Staff (operator app, /login), password {STAFF_PASSWORD}:
    owner@acme.example       owner of Acme Mobile Mechanics (Chicago, USD)
    dispatcher@acme.example  dispatcher;  tech1@acme.example  technician
    owner@northwind.example  owner of Northwind Fleet Services (London, GBP)
  Portal contacts, password {PORTAL_PASSWORD}, PIN {PORTAL_PIN}:
    /portal/acme       fleet@acme.example (+1 312 555 0101), consumer@acme.example
                       (+1 312 555 0102), account@acme.example (+1 312 555 0103)
    /portal/northwind  fleet@northwind.example (+44 20 7946 0101), consumer@northwind.example
                       (+44 20 7946 0102), account@northwind.example (+44 20 7946 0103)
"""


@dataclass(frozen=True)
class Scale:
    fleets: int
    vehicles: int
    consumers: int
    accounts: int
    jobs: int
    invoices: int
    quotes: int
    requests: int


# Per company.
SCALES = {
    "small": Scale(
        fleets=24,
        vehicles=300,
        consumers=15,
        accounts=6,
        jobs=500,
        invoices=180,
        quotes=48,
        requests=30,
    ),
    "large": Scale(
        fleets=1000,
        vehicles=10_000,
        consumers=600,
        accounts=200,
        jobs=100_000,
        invoices=50_000,
        quotes=3_000,
        requests=400,
    ),
}

COMPANIES = [
    {
        "slug": "acme",
        "name": "Acme Mobile Mechanics",
        "email": "office@acme.example",
        "phone": "+1 312 555 0100",
        "address": "1200 W Fulton St, Chicago, IL 60607",
        "time_zone": "America/Chicago",
        "currency": "USD",
        "locale": "en_US",
        "paper_size": "Letter",
        "tax_rate_ppm": 102_500,
        "brand_color": "#1d4ed8",
        "phone_prefix": "+1 312 555 ",
        "city": "Chicago",
        "region": "IL",
    },
    {
        "slug": "northwind",
        "name": "Northwind Fleet Services",
        "email": "hello@northwind.example",
        "phone": "+44 20 7946 0100",
        "address": "14 Wharf Road, London N1 7GR",
        "time_zone": "Europe/London",
        "currency": "GBP",
        "locale": "en_GB",
        "paper_size": "A4",
        "tax_rate_ppm": 200_000,
        "brand_color": "#0f766e",
        "phone_prefix": "+44 20 7946 ",
        "city": "London",
        "region": None,
    },
]

FLEET_NAMES = [
    "Lakeside Plumbing",
    "Metro Couriers",
    "Prairie Landscaping",
    "Northside Electric",
    "Riverbend Catering",
    "Summit Roofing",
    "Harbor Freight Lines",
    "Oak Street Florists",
    "Bluewater Pools",
    "Keystone Security",
    "Granite Movers",
    "Sunrise Bakery",
    "Evergreen Tree Care",
    "Redline Towing",
    "Pioneer HVAC",
    "Cityline Shuttles",
    "Maple Grove Dairy",
    "Ironworks Fabrication",
    "Silverline Taxis",
    "Crescent Cleaners",
    "Union Pest Control",
    "Beacon Medical Transport",
    "Westgate Builders",
    "Cardinal Coaches",
]
SURNAMES = [
    "Garcia",
    "Smith",
    "Okafor",
    "Nguyen",
    "Patel",
    "Kowalski",
    "Murphy",
    "Rossi",
    "Haddad",
    "Larsen",
    "Silva",
    "Chen",
    "Brown",
    "Dubois",
    "Khan",
    "Novak",
]
GIVEN = [
    "Maria",
    "James",
    "Aisha",
    "Tom",
    "Priya",
    "Marek",
    "Siobhan",
    "Luca",
    "Omar",
    "Ingrid",
    "Rafael",
    "Wei",
    "Grace",
    "Élodie",
    "Imran",
    "Petra",
]
VEHICLES = [
    ("Ford", "Transit"),
    ("Ford", "F-150"),
    ("Mercedes-Benz", "Sprinter"),
    ("Ram", "ProMaster"),
    ("Chevrolet", "Express"),
    ("Toyota", "Hilux"),
    ("Nissan", "NV200"),
    ("Isuzu", "NPR"),
    ("Volkswagen", "Crafter"),
]
OIL_SPECS = [
    "5W-30 full synthetic",
    "5W-20 synthetic blend",
    "0W-20 full synthetic",
    "15W-40 diesel",
    "5W-40 diesel",
]
JOB_TYPES = [
    ("Oil change", "Engine oil and filter"),
    ("Brake service", "Pads, rotors, fluid"),
    ("Tyre rotation", "Rotate and balance"),
    ("Annual inspection", "Safety inspection"),
    ("Diagnostics", "Warning lights and faults"),
    ("Extinguisher test", "Annual extinguisher maintenance"),
    ("Boiler service", "Annual boiler service"),
]
SERVICES = [
    "Changed engine oil and filter",
    "Rotated tyres",
    "Replaced front brake pads",
    "Topped up coolant",
    "Replaced wiper blades",
    "Inspected belts and hoses",
    "Cleared fault code P0420",
    "Replaced cabin filter",
]
ASSET_TYPES = [
    ("Fire extinguisher", "CO2 5kg"),
    ("Fire extinguisher", "Foam 9L"),
    ("Boiler", "Worcester 30i"),
    ("Lift", "Otis Gen2"),
    ("Emergency light", "LED 3h"),
]
STREETS = [
    "Main St",
    "Oak Ave",
    "Lake Shore Dr",
    "High Street",
    "Station Road",
    "Mill Lane",
    "Park Avenue",
    "Church Road",
]


@dataclass
class IdAllocator:
    """Hands out explicit primary keys, continuing after what the database already has."""

    next_ids: dict = field(default_factory=dict)

    def take(self, model) -> int:
        table = model.__tablename__
        if table not in self.next_ids:
            self.next_ids[table] = (db.session.scalar(select(func.max(model.id))) or 0) + 1
        value = self.next_ids[table]
        self.next_ids[table] = value + 1
        return value


class Batch:
    """Rows gathered per model and inserted in bulk, parents before children."""

    ORDER = [
        Company,
        StaffUser,
        JobType,
        Customer,
        CustomerJobType,
        Site,
        Contact,
        contact_sites,
        Vehicle,
        Asset,
        AssetTest,
        AssetDefect,
        Job,
        JobStatusChange,
        OdometerReading,
        ServiceRequest,
        Quote,
        QuoteDecision,
        Invoice,
        LineItem,
        Payment,
        Report,
        AuditEvent,
    ]

    def __init__(self):
        self.rows: dict = {model: [] for model in self.ORDER}

    def add(self, target, /, **row) -> dict:
        self.rows[target].append(row)
        return row

    def flush(self) -> dict[str, int]:
        counts = {}
        for model in self.ORDER:
            rows = self.rows[model]
            if not rows:
                continue
            table = model if hasattr(model, "c") else model.__table__
            # A bulk INSERT needs the same columns in every row: group rows by their keys.
            groups: dict[tuple, list[dict]] = {}
            for row in rows:
                groups.setdefault(tuple(sorted(row)), []).append(row)
            for group in groups.values():
                for start in range(0, len(group), 5000):
                    db.session.execute(insert(table), group[start : start + 5000])
            counts[table.name] = len(rows)
            rows.clear()
        return counts


def _logo_png(initials: str, color: str) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (240, 240), color)
    draw = ImageDraw.Draw(image)
    draw.rectangle((16, 16, 224, 224), outline="white", width=8)
    draw.text((70, 95), initials, fill="white", font_size=56)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _write_logo(slug: str, name: str, color: str) -> str:
    filename = f"logo-{slug}.png"
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "logos"
    folder.mkdir(parents=True, exist_ok=True)
    initials = "".join(word[0] for word in name.split()[:2]).upper()
    (folder / filename).write_bytes(_logo_png(initials, color))
    return filename


class CompanyBuilder:
    """Builds one company's data into a Batch."""

    def __init__(
        self,
        spec: dict,
        scale: Scale,
        rng: random.Random,
        ids: IdAllocator,
        batch: Batch,
        hashes: dict,
        now: datetime,
    ):
        self.spec = spec
        self.scale = scale
        self.rng = rng
        self.ids = ids
        self.batch = batch
        self.hashes = hashes
        self.now = now
        self.zone = ZoneInfo(spec["time_zone"])
        self.today = now.astimezone(self.zone).date()
        self.counters = {"job": 0, "quote": 0, "invoice": 0, "report": 0}
        self.fleet_token = None

    # Helpers -----------------------------------------------------------------
    def _id(self, model) -> int:
        return self.ids.take(model)

    def _number(self, kind: str) -> int:
        self.counters[kind] += 1
        return self.counters[kind]

    def _person(self) -> str:
        return f"{self.rng.choice(GIVEN)} {self.rng.choice(SURNAMES)}"

    def _local(self, day: date, hour: int, minute: int = 0) -> datetime:
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=self.zone).astimezone(
            UTC
        )

    def _phone(self, n: int) -> str:
        return f"{self.spec['phone_prefix']}{n:04d}"

    # Build -------------------------------------------------------------------
    def build(self) -> None:
        spec = self.spec
        self.company_id = self._id(Company)
        self.batch.add(
            Company,
            id=self.company_id,
            slug=spec["slug"],
            name=spec["name"],
            email=spec["email"],
            phone=spec["phone"],
            address=spec["address"],
            time_zone=spec["time_zone"],
            currency=spec["currency"],
            locale=spec["locale"],
            paper_size=spec["paper_size"],
            tax_rate_ppm=spec["tax_rate_ppm"],
            brand_color=spec["brand_color"],
            logo_filename=_write_logo(spec["slug"], spec["name"], spec["brand_color"]),
            default_interval_miles=5000,
            default_interval_days=180,
            asset_id_label="Asset ID" if spec["slug"] == "acme" else "Equipment no.",
            created_at=self.now - timedelta(days=800),
        )
        self._staff()
        self._job_types()
        self.customers: list[dict] = []
        self.customer_by_id: dict[int, dict] = {}
        self.vehicles_by_customer: dict[int, list[dict]] = {}
        self.sites_by_customer: dict[int, list[dict]] = {}
        self.assets_by_customer: dict[int, list[dict]] = {}
        self.contacts_by_customer: dict[int, list[dict]] = {}
        self._fleets()
        self._consumers()
        self._accounts()
        self._jobs()
        self._requests()
        self._quotes()
        self._invoices()
        self._reports()

    def _staff(self) -> None:
        slug = self.spec["slug"]
        people = [
            ("owner", StaffRole.OWNER, "Olivia Bennett" if slug == "acme" else "Harriet Clarke"),
            (
                "dispatcher",
                StaffRole.DISPATCHER,
                "Daniel Reyes" if slug == "acme" else "Sam Whitaker",
            ),
            ("tech1", StaffRole.TECHNICIAN, "Marcus Hill" if slug == "acme" else "Callum Price"),
            ("tech2", StaffRole.TECHNICIAN, "Ana Flores" if slug == "acme" else "Zara Ahmed"),
            ("tech3", StaffRole.TECHNICIAN, "Kevin Park" if slug == "acme" else "Owen Hughes"),
        ]
        self.technicians = []
        for handle, role, name in people:
            staff_id = self._id(StaffUser)
            self.batch.add(
                StaffUser,
                id=staff_id,
                company_id=self.company_id,
                email=f"{handle}@{slug}.example",
                name=name,
                role=role,
                password_hash=self.hashes["staff"],
                active=True,
                failed_logins=0,
                created_at=self.now - timedelta(days=700),
            )
            if role == StaffRole.OWNER:
                self.owner_id = staff_id
            if role == StaffRole.TECHNICIAN:
                self.technicians.append(staff_id)

    def _job_types(self) -> None:
        self.job_type_ids = []
        for name, description in JOB_TYPES:
            type_id = self._id(JobType)
            self.batch.add(
                JobType,
                id=type_id,
                company_id=self.company_id,
                name=name,
                description=description,
                active=True,
            )
            self.job_type_ids.append(type_id)

    def _customer(self, kind: CustomerKind, name: str, **extra) -> dict:
        customer_id = self._id(Customer)
        row = self.batch.add(
            Customer,
            id=customer_id,
            company_id=self.company_id,
            kind=kind,
            name=name,
            email=extra.pop(
                "email", f"accounts{customer_id}@{self.spec['slug']}-customers.example"
            ),
            phone=extra.pop("phone", self._phone(1000 + customer_id % 9000)),
            billing_address=f"{self.rng.randint(10, 999)} {self.rng.choice(STREETS)}, {self.spec['city']}",
            billing_terms=extra.pop("billing_terms", BillingTerms.ON_COMPLETION),
            portal_enabled=True,
            created_at=self.now - timedelta(days=self.rng.randint(60, 700)),
            **extra,
        )
        self.customers.append(row)
        self.customer_by_id[customer_id] = row
        for type_id in (
            self.job_type_ids[:5] if kind != CustomerKind.ACCOUNT else self.job_type_ids[3:]
        ):
            self.batch.add(CustomerJobType, customer_id=customer_id, job_type_id=type_id)
        return row

    def _contact(
        self,
        customer: dict,
        name: str,
        email: str | None,
        *,
        admin: bool,
        demo: bool = False,
        phone: str | None = None,
        permissions=None,
        site_ids=(),
    ) -> dict:
        contact_id = self._id(Contact)
        row = self.batch.add(
            Contact,
            id=contact_id,
            company_id=self.company_id,
            customer_id=customer["id"],
            name=name,
            email=email,
            phone=phone,
            is_admin=admin,
            permissions=list(permissions or []),
            all_sites=not site_ids,
            portal_access=True,
            password_hash=self.hashes["portal"] if demo else None,
            password_is_temporary=False,
            pin_hash=self.hashes["pin"] if demo else None,
            failed_attempts=0,
            invited_at=self.now - timedelta(days=30) if demo or admin else None,
            last_login_at=self.now - timedelta(days=2) if demo else None,
            created_at=customer["created_at"],
        )
        for site_id in site_ids:
            self.batch.add(contact_sites, contact_id=contact_id, site_id=site_id)
        self.contacts_by_customer.setdefault(customer["id"], []).append(row)
        return row

    def _site(self, customer: dict, name: str) -> dict:
        site = self.batch.add(
            Site,
            id=self._id(Site),
            company_id=self.company_id,
            customer_id=customer["id"],
            name=name,
            address_line1=f"{self.rng.randint(1, 999)} {self.rng.choice(STREETS)}",
            city=self.spec["city"],
            region=self.spec["region"],
            postal_code=f"{self.rng.randint(10000, 99999)}"
            if self.spec["slug"] == "acme"
            else f"N{self.rng.randint(1, 20)} {self.rng.randint(1, 9)}AB",
            country="US" if self.spec["slug"] == "acme" else "GB",
        )
        self.sites_by_customer.setdefault(customer["id"], []).append(site)
        return site

    def _vehicle_counts(self) -> list[int]:
        """Between 3 and 30 vehicles per fleet, adding up to the scale's total."""
        fleets, total = self.scale.fleets, self.scale.vehicles
        counts = [3] * fleets
        remaining = total - 3 * fleets
        while remaining > 0:
            index = self.rng.randrange(fleets)
            if counts[index] < 30:
                counts[index] += 1
                remaining -= 1
        return counts

    def _fleets(self) -> None:
        slug = self.spec["slug"]
        for index, vehicle_count in enumerate(self._vehicle_counts()):
            base = FLEET_NAMES[index % len(FLEET_NAMES)]
            name = base if index < len(FLEET_NAMES) else f"{base} {index // len(FLEET_NAMES) + 1}"
            fleet = self._customer(
                CustomerKind.FLEET,
                name,
                # A few fleets have no default in miles or in days (never the demo fleet).
                interval_miles=self.rng.choice([5000, 7500, 10000]) if index % 7 != 3 else None,
                interval_days=self.rng.choice([90, 180, 365]) if index % 5 != 4 else None,
                billing_terms=self.rng.choice(
                    [BillingTerms.NET_15, BillingTerms.NET_30, BillingTerms.ON_COMPLETION]
                ),
            )
            if index == 0:
                self.fleet_token = new_token()
                fleet["portal_token_hash"] = token_hash(self.fleet_token)
                fleet["portal_token_created_at"] = self.now - timedelta(days=10)
            site = self._site(fleet, "Depot")
            demo = index == 0
            self._contact(
                fleet,
                self._person()
                if not demo
                else ("Frank Delgado" if slug == "acme" else "Fiona Marsh"),
                f"fleet@{slug}.example" if demo else f"fleet{fleet['id']}@{slug}-customers.example",
                admin=True,
                demo=demo,
                phone=self._phone(101) if demo else None,
            )
            if index % 3 == 0:
                self._contact(
                    fleet,
                    self._person(),
                    f"ops{fleet['id']}@{slug}-customers.example",
                    admin=False,
                    permissions=[
                        PortalPermission.JOBS,
                        PortalPermission.HISTORY,
                        PortalPermission.VEHICLES,
                    ],
                )
            self.vehicles_by_customer[fleet["id"]] = [
                self._vehicle(fleet, site, position) for position in range(vehicle_count)
            ]

    def _vehicle(self, customer: dict, site: dict | None, position: int) -> dict:
        rng = self.rng
        make, model = rng.choice(VEHICLES)
        odometer = rng.randint(8_000, 180_000)
        interval_miles = customer.get("interval_miles") or 5000
        interval_days = customer.get("interval_days") or 180
        # Spread vehicles over overdue by miles, overdue by days, due soon and fine.
        kind = position % 6
        if kind == 0:  # overdue by miles
            last_odometer = odometer - interval_miles - rng.randint(50, 4000)
            last_on = self.today - timedelta(days=rng.randint(10, max(11, interval_days // 2)))
        elif kind == 1:  # overdue by days
            last_odometer = odometer - rng.randint(100, interval_miles // 2)
            last_on = self.today - timedelta(days=interval_days + rng.randint(3, 60))
        elif kind == 2:  # due soon
            last_odometer = odometer - int(interval_miles * 0.95)
            last_on = self.today - timedelta(days=rng.randint(5, 30))
        else:
            last_odometer = odometer - rng.randint(100, interval_miles // 2)
            last_on = self.today - timedelta(days=rng.randint(5, max(6, interval_days // 2)))
        vehicle = self.batch.add(
            Vehicle,
            id=self._id(Vehicle),
            company_id=self.company_id,
            customer_id=customer["id"],
            site_id=site["id"] if site else None,
            year=rng.randint(2012, 2025),
            make=make,
            model=model,
            plate=f"{self.spec['slug'][0].upper()}{rng.randint(100, 999)}{chr(65 + rng.randrange(26))}{chr(65 + rng.randrange(26))}",
            vin=f"1FT{rng.randrange(10**13):013d}A"[:17],
            odometer=odometer,
            oil_spec=rng.choice(OIL_SPECS),
            interval_miles=7500 if position % 11 == 5 else None,
            interval_days=None,
            last_service_on=last_on,
            last_service_odometer=max(0, last_odometer),
            active=position % 23 != 22,
            created_at=self.now - timedelta(days=600),
        )
        if self.scale is SCALES["small"]:
            for months_ago, reading in (
                (6, max(0, odometer - 6000)),
                (3, max(0, odometer - 3000)),
                (0, odometer),
            ):
                self.batch.add(
                    OdometerReading,
                    id=self._id(OdometerReading),
                    company_id=self.company_id,
                    vehicle_id=vehicle["id"],
                    reading=reading,
                    recorded_at=self.now - timedelta(days=30 * months_ago + 1),
                    source="staff",
                )
        return vehicle

    def _consumers(self) -> None:
        slug = self.spec["slug"]
        for index in range(self.scale.consumers):
            demo = index == 0
            name = ("Carla Jensen" if slug == "acme" else "Colin Baker") if demo else self._person()
            consumer = self._customer(CustomerKind.CONSUMER, name)
            site = self._site(consumer, "Home")
            self._contact(
                consumer,
                name,
                f"consumer@{slug}.example"
                if demo
                else f"home{consumer['id']}@{slug}-customers.example",
                admin=True,
                demo=demo,
                phone=self._phone(102) if demo else None,
            )
            self.vehicles_by_customer[consumer["id"]] = [
                self._vehicle(consumer, site, index) for _ in range(1 + index % 2)
            ]

    def _accounts(self) -> None:
        slug = self.spec["slug"]
        for index in range(self.scale.accounts):
            demo = index == 0
            name = (
                ("Lakeview Apartments" if slug == "acme" else "Riverside Offices")
                if demo
                else f"{self.rng.choice(SURNAMES)} Property Group {index}"
            )
            account = self._customer(CustomerKind.ACCOUNT, name, billing_terms=BillingTerms.NET_30)
            sites = [
                self._site(account, label)
                for label in ("North building", "South building", "Warehouse")[: 2 + index % 2]
            ]
            self._contact(
                account,
                ("Alicia Moreno" if slug == "acme" else "Adam Fletcher")
                if demo
                else self._person(),
                f"account@{slug}.example"
                if demo
                else f"facilities{account['id']}@{slug}-customers.example",
                admin=True,
                demo=demo,
                phone=self._phone(103) if demo else None,
            )
            self._contact(
                account,
                self._person(),
                f"site{account['id']}@{slug}-customers.example",
                admin=False,
                permissions=[
                    PortalPermission.JOBS,
                    PortalPermission.HISTORY,
                    PortalPermission.ASSETS,
                    PortalPermission.REPORTS,
                ],
                site_ids=[sites[0]["id"]],
            )
            assets = []
            for site in sites:
                for _ in range(3):
                    asset_type, model_number = self.rng.choice(ASSET_TYPES)
                    asset_id = self._id(Asset)
                    asset = self.batch.add(
                        Asset,
                        id=asset_id,
                        company_id=self.company_id,
                        customer_id=account["id"],
                        site_id=site["id"],
                        asset_code=f"{slug[:2].upper()}-{asset_id:06d}",
                        asset_type=asset_type,
                        model_number=model_number,
                        serial_number=f"SN{self.rng.randrange(10**8):08d}",
                        customer_ref=f"REF-{self.rng.randint(100, 999)}",
                        description=f"{asset_type} at {site['name']}",
                        active=True,
                        created_at=account["created_at"],
                    )
                    assets.append(asset)
                    for year_offset in (2, 1, 0):
                        tested_on = self.today - timedelta(
                            days=365 * year_offset + self.rng.randint(5, 60)
                        )
                        self.batch.add(
                            AssetTest,
                            id=self._id(AssetTest),
                            company_id=self.company_id,
                            asset_id=asset_id,
                            test_number=f"T{tested_on.year}-{asset_id:05d}",
                            tested_on=tested_on,
                            result="fail" if asset_id % 9 == 0 and year_offset == 0 else "pass",
                        )
                    if asset_id % 3 == 0:
                        status = self.rng.choice(list(DefectStatus))
                        self.batch.add(
                            AssetDefect,
                            id=self._id(AssetDefect),
                            company_id=self.company_id,
                            asset_id=asset_id,
                            description=self.rng.choice(
                                [
                                    "Pressure gauge in red zone",
                                    "Missing tamper seal",
                                    "Corroded cylinder",
                                    "Pilot light failure",
                                    "Door sensor misaligned",
                                ]
                            ),
                            severity=self.rng.choice(list(DefectSeverity)),
                            status=status,
                            found_on=self.today - timedelta(days=self.rng.randint(5, 200)),
                            resolved_on=self.today - timedelta(days=2)
                            if status == DefectStatus.RESOLVED
                            else None,
                        )
            self.assets_by_customer[account["id"]] = assets

    def _jobs(self) -> None:
        """Jobs in every status: completed history, cancelled, unscheduled, upcoming, and
        active ones today."""
        rng = self.rng
        customers = self.customers
        self.completed_jobs: list[dict] = []
        self.jobs_by_customer: dict[int, list[dict]] = {}
        active_today = [
            JobStatus.ASSIGNED,
            JobStatus.EN_ROUTE,
            JobStatus.ARRIVED,
            JobStatus.IN_PROGRESS,
        ]
        # The demo portal customers (first fleet, consumer, account) get active jobs today.
        demo_customers = [
            c
            for c in customers
            if any(ct.get("password_hash") for ct in self.contacts_by_customer.get(c["id"], []))
        ]
        for job_index in range(self.scale.jobs):
            if job_index < len(demo_customers) * len(active_today):
                customer = demo_customers[job_index // len(active_today)]
            else:
                customer = customers[rng.randrange(len(customers))]
            roll = job_index % 20
            if job_index < len(demo_customers) * len(active_today):
                status, day = active_today[job_index % len(active_today)], self.today
            elif roll < 13:
                status, day = JobStatus.COMPLETED, self.today - timedelta(days=rng.randint(1, 720))
            elif roll == 13:
                status, day = JobStatus.CANCELLED, self.today - timedelta(days=rng.randint(1, 200))
            elif roll == 14:
                status, day = JobStatus.UNSCHEDULED, None
            elif roll < 18:
                status, day = JobStatus.SCHEDULED, self.today + timedelta(days=rng.randint(1, 45))
            elif roll == 18:
                status, day = JobStatus.ASSIGNED, self.today + timedelta(days=rng.randint(0, 14))
            else:
                status, day = rng.choice(active_today), self.today
            self._job(customer, status, day)
        # The demo portal customers have a long service history (enough to page through).
        for customer in demo_customers:
            for _ in range(30):
                self._job(
                    customer, JobStatus.COMPLETED, self.today - timedelta(days=rng.randint(1, 720))
                )

    def _job(self, customer: dict, status: JobStatus, day: date | None) -> dict:
        rng = self.rng
        vehicles = self.vehicles_by_customer.get(customer["id"]) or []
        assets = self.assets_by_customer.get(customer["id"]) or []
        sites = self.sites_by_customer.get(customer["id"]) or []
        vehicle = rng.choice(vehicles) if vehicles else None
        asset = rng.choice(assets) if assets and not vehicle else None
        type_index = rng.randrange(5) if vehicle else rng.randrange(5, 7)
        job_type_id = self.job_type_ids[type_index]
        title = JOB_TYPES[type_index][0]
        start = end = None
        if day is not None:
            hour = rng.choice([8, 9, 10, 11, 13, 14, 15])
            start = self._local(day, hour)
            end = start + timedelta(hours=rng.choice([1, 2, 3]))
        technician = (
            rng.choice(self.technicians)
            if status not in (JobStatus.UNSCHEDULED, JobStatus.SCHEDULED)
            else None
        )
        job_id = self._id(Job)
        created = (start or self.now) - timedelta(days=rng.randint(3, 20))
        if created > self.now:
            created = self.now - timedelta(hours=1)
        completed = status == JobStatus.COMPLETED
        job = self.batch.add(
            Job,
            id=job_id,
            company_id=self.company_id,
            number=self._number("job"),
            customer_id=customer["id"],
            site_id=(vehicle or asset or {}).get("site_id") or (sites[0]["id"] if sites else None),
            vehicle_id=vehicle["id"] if vehicle else None,
            asset_id=asset["id"] if asset else None,
            job_type_id=job_type_id,
            technician_id=technician,
            title=title,
            description=f"{title} for {vehicle['make']} {vehicle['model']}"
            if vehicle
            else f"{title} — {asset['asset_code']}"
            if asset
            else title,
            status=status,
            window_start=start,
            window_end=end,
            po_number=f"PO-{rng.randint(1000, 9999)}"
            if customer["kind"] != CustomerKind.CONSUMER and rng.random() < 0.4
            else None,
            internal_notes="Gate code 4412" if rng.random() < 0.1 else None,
            customer_notes="Please call 15 minutes before arrival."
            if rng.random() < 0.15
            else None,
            odometer_at_service=(vehicle["odometer"] - rng.randint(0, 5000))
            if completed and vehicle
            else None,
            services_performed="; ".join(rng.sample(SERVICES, 2)) if completed else None,
            status_changed_at=(end or self.now) if completed else created,
            completed_at=end if completed else None,
            created_at=created,
            updated_at=end if completed and end else created,
        )
        if job["odometer_at_service"] is not None and job["odometer_at_service"] < 0:
            job["odometer_at_service"] = 0
        if self.scale is SCALES["small"] or status not in (
            JobStatus.COMPLETED,
            JobStatus.CANCELLED,
        ):
            self.batch.add(
                JobStatusChange,
                id=self._id(JobStatusChange),
                company_id=self.company_id,
                job_id=job_id,
                from_status=None,
                to_status=status,
                changed_at=job["status_changed_at"],
                changed_by_id=self.owner_id,
            )
        self.jobs_by_customer.setdefault(customer["id"], []).append(job)
        if completed:
            self.completed_jobs.append(job)
        return job

    def _requests(self) -> None:
        rng = self.rng
        statuses = [RequestStatus.PENDING, RequestStatus.APPROVED, RequestStatus.DECLINED]
        for index in range(self.scale.requests):
            customer = (
                self.customers[index * 7 % len(self.customers)]
                if index >= 3
                else self._demo_customer(index)
            )
            contact = self.contacts_by_customer[customer["id"]][0]
            status = statuses[index % 3]
            vehicles = self.vehicles_by_customer.get(customer["id"]) or []
            created = self.now - timedelta(hours=rng.randint(1, 24 * 20))
            job_id = None
            if status == RequestStatus.APPROVED:
                job = self._job(customer, JobStatus.UNSCHEDULED, None)
                job_id = job["id"]
            self.batch.add(
                ServiceRequest,
                id=self._id(ServiceRequest),
                company_id=self.company_id,
                customer_id=customer["id"],
                contact_id=contact["id"],
                site_id=(self.sites_by_customer.get(customer["id"]) or [{}])[0].get("id"),
                vehicle_id=vehicles[0]["id"] if vehicles else None,
                job_type_id=self.job_type_ids[index % 5],
                description=rng.choice(
                    [
                        "Check engine light is on",
                        "Brakes squeal when stopping",
                        "Due for annual inspection",
                        "Leaking coolant under the van",
                        "Please service before the long trip",
                    ]
                ),
                preferred_date=self.today + timedelta(days=rng.randint(1, 21)),
                urgency=list(Urgency)[index % 4],
                status=status,
                decline_reason="We do not service that vehicle type; try a dealer."
                if status == RequestStatus.DECLINED
                else None,
                decided_at=created + timedelta(hours=2)
                if status != RequestStatus.PENDING
                else None,
                decided_by_id=self.owner_id if status != RequestStatus.PENDING else None,
                job_id=job_id,
                created_at=created,
            )

    def _demo_customer(self, index: int) -> dict:
        demo = [
            c
            for c in self.customers
            if any(ct.get("password_hash") for ct in self.contacts_by_customer.get(c["id"], []))
        ]
        return demo[index % len(demo)]

    def _lines(self, parent: str, parent_id: int, count: int) -> tuple[int, int]:
        """Line items for a quote or invoice; returns (subtotal, tax) in cents."""
        rng = self.rng
        subtotal = taxable_total = 0
        for position in range(count):
            quantity = rng.choice([1, 1, 1, 2, 4])
            unit = rng.choice([2500, 4999, 8900, 12000, 18950, 650])
            taxable = position != 0  # labour first, untaxed; parts taxed
            amount = quantity * unit
            self.batch.add(
                LineItem,
                id=self._id(LineItem),
                company_id=self.company_id,
                quote_id=parent_id if parent == "quote" else None,
                invoice_id=parent_id if parent == "invoice" else None,
                position=position,
                description="Labour"
                if position == 0
                else rng.choice(
                    [
                        "Oil filter",
                        "Synthetic oil (qt)",
                        "Brake pads (axle set)",
                        "Wiper blades",
                        "Coolant",
                        "Test tag",
                    ]
                ),
                quantity=quantity,
                unit_price_cents=unit,
                taxable=taxable,
                amount_cents=amount,
            )
            subtotal += amount
            if taxable:
                taxable_total += amount
        tax = (taxable_total * self.spec["tax_rate_ppm"] + 500_000) // 1_000_000
        return subtotal, tax

    def _quotes(self) -> None:
        rng = self.rng
        statuses = list(QuoteStatus)
        for index in range(self.scale.quotes):
            customer = (
                self._demo_customer(index)
                if index < 18
                else self.customers[rng.randrange(len(self.customers))]
            )
            # The three demo customers each get a quote in every status.
            status = statuses[(index // 3 if index < 18 else index) % len(statuses)]
            quote_id = self._id(Quote)
            created = self.now - timedelta(days=rng.randint(1, 90))
            subtotal, tax = self._lines("quote", quote_id, rng.randint(1, 4))
            valid_until = (
                (self.today - timedelta(days=rng.randint(1, 20)))
                if status == QuoteStatus.EXPIRED
                else self.today + timedelta(days=rng.randint(5, 30))
            )
            vehicles = self.vehicles_by_customer.get(customer["id"]) or []
            self.batch.add(
                Quote,
                id=quote_id,
                company_id=self.company_id,
                number=self._number("quote"),
                customer_id=customer["id"],
                vehicle_id=vehicles[0]["id"] if vehicles else None,
                title=rng.choice(
                    [
                        "Brake replacement",
                        "Timing belt replacement",
                        "Extinguisher replacement",
                        "Boiler part replacement",
                        "Suspension repair",
                    ]
                ),
                status=status,
                revision=1,
                valid_until=valid_until,
                tax_rate_ppm=self.spec["tax_rate_ppm"],
                subtotal_cents=subtotal,
                tax_cents=tax,
                total_cents=subtotal + tax,
                sent_at=created if status != QuoteStatus.DRAFT else None,
                created_at=created,
                updated_at=created,
            )
            decision = {
                QuoteStatus.ACCEPTED: QuoteDecisionKind.ACCEPTED,
                QuoteStatus.REJECTED: QuoteDecisionKind.REJECTED,
                QuoteStatus.CHANGES_REQUESTED: QuoteDecisionKind.CHANGES_REQUESTED,
            }.get(status)
            if decision:
                contact = self.contacts_by_customer[customer["id"]][0]
                self.batch.add(
                    QuoteDecision,
                    id=self._id(QuoteDecision),
                    company_id=self.company_id,
                    quote_id=quote_id,
                    revision=1,
                    decision=decision,
                    contact_id=contact["id"],
                    signed_name=contact["name"] if decision == QuoteDecisionKind.ACCEPTED else None,
                    message="Could you quote OEM pads instead?"
                    if decision == QuoteDecisionKind.CHANGES_REQUESTED
                    else None,
                    ip_address="203.0.113.10",
                    user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X)",
                    quote_sha256=f"{quote_id:064x}",
                    decided_at=created + timedelta(days=1),
                )

    def _invoices(self) -> None:
        """Invoices in every status, with partial and full payments."""
        rng = self.rng
        jobs = self.completed_jobs
        for index in range(self.scale.invoices):
            job = jobs[index % len(jobs)] if index % 2 == 0 else None
            if job is not None:
                customer = self.customer_by_id[job["customer_id"]]
            elif index < 24:
                customer = self._demo_customer(index)
            else:
                customer = self.customers[rng.randrange(len(self.customers))]
            roll = index % 10
            status = [
                InvoiceStatus.DRAFT,
                InvoiceStatus.SENT,
                InvoiceStatus.SENT,
                InvoiceStatus.SENT,
                InvoiceStatus.PAID,
                InvoiceStatus.PAID,
                InvoiceStatus.PAID,
                InvoiceStatus.PAID,
                InvoiceStatus.VOID,
                InvoiceStatus.SENT,
            ][roll]
            invoice_id = self._id(Invoice)
            issued = self.today - timedelta(
                days=rng.randint(0, 150) if index % 4 else rng.randint(0, 25)
            )
            terms = customer["billing_terms"]
            due = issued + timedelta(
                days={BillingTerms.NET_15: 15, BillingTerms.NET_30: 30}.get(terms, 0)
            )
            subtotal, tax = self._lines("invoice", invoice_id, rng.randint(1, 4))
            total = subtotal + tax
            paid = 0
            payments = []
            if status == InvoiceStatus.PAID:
                payments = [total]
            elif status == InvoiceStatus.SENT and roll in (2, 9):
                payments = [total // 3]  # partially paid
            for amount in payments:
                paid += amount
            sent_at = self._local(issued, 9) if status != InvoiceStatus.DRAFT else None
            self.batch.add(
                Invoice,
                id=invoice_id,
                company_id=self.company_id,
                number=self._number("invoice"),
                customer_id=customer["id"],
                job_id=job["id"] if job else None,
                status=status,
                billing_terms=terms,
                issued_on=issued if status != InvoiceStatus.DRAFT else None,
                due_on=due if status != InvoiceStatus.DRAFT else None,
                tax_rate_ppm=self.spec["tax_rate_ppm"],
                subtotal_cents=subtotal,
                tax_cents=tax,
                total_cents=total,
                amount_paid_cents=paid,
                sent_at=sent_at,
                paid_at=self._local(issued, 15) if status == InvoiceStatus.PAID else None,
                voided_at=self._local(issued, 16) if status == InvoiceStatus.VOID else None,
                void_reason="Duplicate of another invoice"
                if status == InvoiceStatus.VOID
                else None,
                created_at=self._local(issued, 8),
                updated_at=self._local(issued, 8),
            )
            for amount in payments:
                self.batch.add(
                    Payment,
                    id=self._id(Payment),
                    company_id=self.company_id,
                    invoice_id=invoice_id,
                    method=rng.choice(
                        [
                            PaymentMethod.CASH,
                            PaymentMethod.CHECK,
                            PaymentMethod.BANK_TRANSFER,
                            PaymentMethod.CARD,
                        ]
                    ),
                    amount_cents=amount,
                    refunded_cents=0,
                    reference=f"REF{rng.randint(10000, 99999)}",
                    received_at=self._local(min(issued + timedelta(days=3), self.today), 12),
                    recorded_by_id=self.owner_id,
                )

    def _reports(self) -> None:
        count = max(8, self.scale.quotes // 4)
        for index in range(count):
            job = self.completed_jobs[index * 3 % len(self.completed_jobs)]
            approved = index % 3 != 0
            kind = [ReportKind.SERVICE, ReportKind.INSPECTION, ReportKind.TEST][index % 3]
            self.batch.add(
                Report,
                id=self._id(Report),
                company_id=self.company_id,
                number=self._number("report"),
                customer_id=job["customer_id"],
                job_id=job["id"],
                site_id=job["site_id"],
                vehicle_id=job["vehicle_id"],
                asset_id=job["asset_id"],
                kind=kind,
                title=f"{kind.value.title()} report — job {job['number']}",
                body="All items inspected. Brake pads at 40 %. Tyres within limits. No leaks found.",
                status=ReportStatus.APPROVED if approved else ReportStatus.DRAFT,
                approved_at=job["completed_at"] if approved else None,
                approved_by_id=self.owner_id if approved else None,
                created_at=job["completed_at"] or self.now,
            )
        # Demo portal customers always have one approved report each.
        for customer in [
            c
            for c in self.customers
            if any(ct.get("password_hash") for ct in self.contacts_by_customer.get(c["id"], []))
        ]:
            job = next(
                (
                    j
                    for j in self.jobs_by_customer.get(customer["id"], [])
                    if j["status"] == JobStatus.COMPLETED
                ),
                None,
            )
            if job is None:
                continue
            self.batch.add(
                Report,
                id=self._id(Report),
                company_id=self.company_id,
                number=self._number("report"),
                customer_id=customer["id"],
                job_id=job["id"],
                kind=ReportKind.SERVICE,
                title=f"Service report — job {job['number']}",
                body="Service completed to manufacturer schedule.",
                status=ReportStatus.APPROVED,
                approved_at=job["completed_at"],
                approved_by_id=self.owner_id,
                created_at=job["completed_at"],
            )

    def finish_counters(self) -> dict:
        return {
            "next_job_number": self.counters["job"] + 1,
            "next_quote_number": self.counters["quote"] + 1,
            "next_invoice_number": self.counters["invoice"] + 1,
            "next_report_number": self.counters["report"] + 1,
        }


def _reset_postgres_sequences() -> None:
    """Explicit ids bypass PostgreSQL sequences; move each past its table's largest id."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for table in db.metadata.sorted_tables:
        if "id" in table.c and table.c.id.primary_key:
            # Table names come from our own metadata, never from input.
            statement = (
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608
                f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
            )
            db.session.execute(text(statement))


def build_demo_data(scale: str = "small", seed: int = 1, echo=print) -> str:
    """Load the demo data and commit; returns a one-line summary with timings."""
    started = time.perf_counter()
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    hashes = {
        "staff": hash_secret(STAFF_PASSWORD),
        "portal": hash_secret(PORTAL_PASSWORD),
        "pin": hash_secret(PORTAL_PIN),
    }
    ids = IdAllocator()
    totals: dict[str, int] = {}
    tokens = []
    for spec in COMPANIES:
        if db.session.scalar(select(Company.id).where(Company.slug == spec["slug"])):
            raise RuntimeError(f"Company {spec['slug']!r} already exists; use an empty database.")
        batch = Batch()
        builder = CompanyBuilder(spec, SCALES[scale], rng, ids, batch, hashes, now)
        builder.build()
        for table, count in batch.flush().items():
            totals[table] = totals.get(table, 0) + count
        db.session.execute(
            Company.__table__.update()
            .where(Company.id == builder.company_id)
            .values(**builder.finish_counters())
        )
        tokens.append((spec["slug"], builder.fleet_token))
        echo(f"  {spec['name']}: loaded")
    _reset_postgres_sequences()
    db.session.commit()
    # Fresh statistics after a bulk load, so the query planner picks the selective indexes.
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    elapsed = time.perf_counter() - started
    base_url = current_app.config["BASE_URL"]
    token_lines = "\n".join(
        f"  Fleet portal link ({slug}): {base_url}/portal/t/{token}" for slug, token in tokens
    )
    figures = ", ".join(
        f"{totals.get(t, 0)} {t}"
        for t in ("customers", "vehicles", "jobs", "invoices", "quotes", "service_requests")
    )
    return f"Demo data ({scale}, seed {seed}) loaded in {elapsed:.1f} s: {figures}.\n{token_lines}"
