"""How much demo data to build: per company, at the small (demo, tests), large
(benchmark) and xl (ten times large: cost that grows with the data) scale."""

from dataclasses import dataclass


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
    # Every job's status change and every vehicle's odometer readings; the large scale
    # leaves them out to stay quick to build.
    detailed: bool


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
        detailed=True,
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
        detailed=False,
    ),
    "xl": Scale(
        fleets=10_000,
        vehicles=100_000,
        consumers=6_000,
        accounts=2_000,
        jobs=1_000_000,
        invoices=500_000,
        quotes=30_000,
        requests=4_000,
        detailed=False,
    ),
}
