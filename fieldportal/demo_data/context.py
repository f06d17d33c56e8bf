"""One company while its demo data is being built: its settings, the shared random
generator and writer, and the rows made so far (looked up by the later steps)."""

import random
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from .catalog import GIVEN, SURNAMES
from .scales import Scale
from .writer import Batch, IdAllocator


class CompanyData:
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
        self.slug = spec["slug"]
        self.scale = scale
        self.rng = rng
        self.ids = ids
        self.batch = batch
        self.hashes = hashes
        self.now = now
        self.zone = ZoneInfo(spec["time_zone"])
        self.today = now.astimezone(self.zone).date()
        self.counters = {"job": 0, "quote": 0, "invoice": 0, "report": 0}
        # Set by the company step.
        self.company_id: int = 0
        self.owner_id: int = 0
        self.technicians: list[int] = []
        self.job_type_ids: list[int] = []
        self.fleet_token: str | None = None
        # Rows by customer, filled as they are made.
        self.customers: list[dict] = []
        self.customer_by_id: dict[int, dict] = {}
        self.contacts_by_customer: dict[int, list[dict]] = {}
        self.sites_by_customer: dict[int, list[dict]] = {}
        self.vehicles_by_customer: dict[int, list[dict]] = {}
        self.assets_by_customer: dict[int, list[dict]] = {}
        self.service_plans: dict = {}  # vehicle id → vehicles.ServicePlan
        self.jobs_by_customer: dict[int, list[dict]] = {}
        self.completed_jobs: list[dict] = []

    def add(self, model, /, **row) -> dict:
        """Queue a row of one of this company's tables, with the model's next id unless
        it has one already."""
        if "id" not in row:
            row["id"] = self.ids.take(model)
        row["company_id"] = self.company_id
        return self.batch.add(model, row)

    def new_id(self, model) -> int:
        return self.ids.take(model)

    def number(self, kind: str) -> int:
        """The next document number of this kind (job, quote, invoice, report)."""
        self.counters[kind] += 1
        return self.counters[kind]

    def next_numbers(self) -> dict:
        return {f"next_{kind}_number": count + 1 for kind, count in self.counters.items()}

    def person(self) -> str:
        return f"{self.rng.choice(GIVEN)} {self.rng.choice(SURNAMES)}"

    def local(self, day: date, hour: int, minute: int = 0) -> datetime:
        """A wall-clock time on ``day`` where the company works, as UTC."""
        local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=self.zone)
        return local.astimezone(UTC)

    def phone(self, n: int) -> str:
        """A valid number of the company's city in E.164, as the app stores phones (the
        ranges used are the ones set aside for drama and examples: 312-555, 020 7946)."""
        return f"{self.spec['phone_prefix']}{n:04d}"

    def demo_customers(self) -> list[dict]:
        """The customers whose contacts can sign in with the demo password."""
        return [
            customer
            for customer in self.customers
            if any(
                c.get("password_hash") for c in self.contacts_by_customer.get(customer["id"], [])
            )
        ]
