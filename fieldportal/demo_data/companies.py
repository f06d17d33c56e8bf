"""The company itself: its settings and logo, its staff and its job types."""

import io
from datetime import timedelta
from pathlib import Path

from flask import current_app

from ..models import Company, JobType, StaffRole, StaffUser
from .catalog import JOB_TYPES
from .context import CompanyData

# (handle, role, name at Acme, name at Northwind)
STAFF = [
    ("owner", StaffRole.OWNER, "Olivia Bennett", "Harriet Clarke"),
    ("dispatcher", StaffRole.DISPATCHER, "Daniel Reyes", "Sam Whitaker"),
    ("tech1", StaffRole.TECHNICIAN, "Marcus Hill", "Callum Price"),
    ("tech2", StaffRole.TECHNICIAN, "Ana Flores", "Zara Ahmed"),
    ("tech3", StaffRole.TECHNICIAN, "Kevin Park", "Owen Hughes"),
]


def add_company(data: CompanyData) -> None:
    spec = data.spec
    data.company_id = data.new_id(Company)
    data.batch.add(
        Company,
        {
            "id": data.company_id,
            "slug": spec["slug"],
            "name": spec["name"],
            "email": spec["email"],
            "phone": spec["phone"],
            "address": spec["address"],
            "time_zone": spec["time_zone"],
            "currency": spec["currency"],
            "locale": spec["locale"],
            "country": spec["country"],
            "paper_size": spec["paper_size"],
            "tax_rate_ppm": spec["tax_rate_ppm"],
            "brand_color": spec["brand_color"],
            "logo_filename": _write_logo(spec["slug"], spec["name"], spec["brand_color"]),
            "default_interval_miles": 5000,
            "default_interval_days": 180,
            "asset_id_label": "Asset ID" if spec["slug"] == "acme" else "Equipment no.",
            "created_at": data.now - timedelta(days=800),
        },
    )
    _add_staff(data)
    _add_job_types(data)


def _add_staff(data: CompanyData) -> None:
    for handle, role, acme_name, northwind_name in STAFF:
        staff = data.add(
            StaffUser,
            email=f"{handle}@{data.slug}.example",
            name=acme_name if data.slug == "acme" else northwind_name,
            role=role,
            password_hash=data.hashes["staff"],
            active=True,
            failed_attempts=0,
            created_at=data.now - timedelta(days=700),
        )
        if role == StaffRole.OWNER:
            data.owner_id = staff["id"]
        if role == StaffRole.TECHNICIAN:
            data.technicians.append(staff["id"])


def _add_job_types(data: CompanyData) -> None:
    for name, description in JOB_TYPES:
        job_type = data.add(JobType, name=name, description=description, active=True)
        data.job_type_ids.append(job_type["id"])


def _write_logo(slug: str, name: str, color: str) -> str:
    filename = f"logo-{slug}.png"
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "logos"
    folder.mkdir(parents=True, exist_ok=True)
    initials = "".join(word[0] for word in name.split()[:2]).upper()
    (folder / filename).write_bytes(_logo_png(initials, color))
    return filename


def _logo_png(initials: str, color: str) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (240, 240), color)
    draw = ImageDraw.Draw(image)
    draw.rectangle((16, 16, 224, 224), outline="white", width=8)
    draw.text((70, 95), initials, fill="white", font_size=56)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
