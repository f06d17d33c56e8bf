"""Files staff upload to import records: kept as uploaded until confirmed or expired, so
the confirmation writes what the server read, never what a browser sent back."""

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import CreatedAtMixin, TenantMixin, UTCDateTime, enum_type


class ImportKind(enum.StrEnum):
    CUSTOMERS = "customers"
    SITES = "sites"
    VEHICLES = "vehicles"
    ASSETS = "assets"


class ImportUpload(TenantMixin, CreatedAtMixin, db.Model):
    __tablename__ = "import_uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    kind: Mapped[ImportKind] = mapped_column(enum_type(ImportKind, "import_kind"))
    filename: Mapped[str] = mapped_column(String(200))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    imported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_count: Mapped[int] = mapped_column(Integer, default=0)
