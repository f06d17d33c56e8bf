"""A business account's equipment at its sites, with yearly tests and some defects."""

from datetime import timedelta

from ..models import Asset, AssetDefect, AssetTest, DefectSeverity, DefectStatus
from .catalog import ASSET_TYPES, DEFECTS
from .context import CompanyData

ASSETS_PER_SITE = 3


def add_assets(data: CompanyData, account: dict, sites: list[dict]) -> list[dict]:
    assets = []
    for site in sites:
        for _ in range(ASSETS_PER_SITE):
            asset = _add_asset(data, account, site)
            _add_tests(data, asset["id"])
            if asset["id"] % 3 == 0:
                _add_defect(data, asset["id"])
            assets.append(asset)
    return assets


def _add_asset(data: CompanyData, account: dict, site: dict) -> dict:
    rng = data.rng
    asset_type, model_number = rng.choice(ASSET_TYPES)
    asset_id = data.new_id(Asset)
    return data.add(
        Asset,
        id=asset_id,
        customer_id=account["id"],
        site_id=site["id"],
        asset_code=f"{data.slug[:2].upper()}-{asset_id:06d}",
        asset_type=asset_type,
        model_number=model_number,
        serial_number=f"SN{rng.randrange(10**8):08d}",
        customer_ref=f"REF-{rng.randint(100, 999)}",
        description=f"{asset_type} at {site['name']}",
        active=True,
        created_at=account["created_at"],
    )


def _add_tests(data: CompanyData, asset_id: int) -> None:
    """One test a year for three years; every ninth asset failed its latest."""
    for years_ago in (2, 1, 0):
        tested_on = data.today - timedelta(days=365 * years_ago + data.rng.randint(5, 60))
        data.add(
            AssetTest,
            asset_id=asset_id,
            test_number=f"T{tested_on.year}-{asset_id:05d}",
            tested_on=tested_on,
            result="fail" if asset_id % 9 == 0 and years_ago == 0 else "pass",
        )


def _add_defect(data: CompanyData, asset_id: int) -> None:
    rng = data.rng
    status = rng.choice(list(DefectStatus))
    data.add(
        AssetDefect,
        asset_id=asset_id,
        description=rng.choice(DEFECTS),
        severity=rng.choice(list(DefectSeverity)),
        status=status,
        found_on=data.today - timedelta(days=rng.randint(5, 200)),
        resolved_on=data.today - timedelta(days=2) if status == DefectStatus.RESOLVED else None,
    )
