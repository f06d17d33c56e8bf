"""Emails waiting to be delivered (the transactional outbox)."""

import enum
import re
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import CreatedAtMixin, UTCDateTime, enum_type, utcnow
from .company import Company


class OutboxStatus(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    NOT_SENT = "not_sent"  # no mail server configured (development)


class SecretKind(enum.StrEnum):
    """What a secret in an email is: the Outbox page's placeholder and, once the secret is
    gone, where staff send a new one."""

    SIGN_IN_LINK = "sign_in_link"
    PORTAL_LINK = "portal_link"
    TEMPORARY_PASSWORD = "temporary_password"
    PIN = "pin"
    SETUP_LINK = "setup_link"  # confirming a sign-up
    RESET_LINK = "reset_link"  # choosing a new staff password
    INVITE_LINK = "invite_link"  # accepting an invitation to a company's staff

    @property
    def label(self) -> str:
        return _SECRET_LABELS[self]

    @property
    def renewal(self) -> str:
        return _SECRET_RENEWALS[self]


_SECRET_LABELS = {
    SecretKind.SIGN_IN_LINK: "sign-in link",
    SecretKind.PORTAL_LINK: "portal link",
    SecretKind.TEMPORARY_PASSWORD: "temporary password",
    SecretKind.PIN: "PIN",
    SecretKind.SETUP_LINK: "confirmation link",
    SecretKind.RESET_LINK: "password reset link",
    SecretKind.INVITE_LINK: "invitation link",
}
_SECRET_RENEWALS = {
    SecretKind.SIGN_IN_LINK: "send a new sign-in link from the contact's portal access page",
    SecretKind.PORTAL_LINK: "email the portal link again from the fleet's page",
    SecretKind.TEMPORARY_PASSWORD: "send a new activation email from the contact's portal "
    "access page",
    SecretKind.PIN: "set and send a new PIN from the contact's portal access page",
    SecretKind.SETUP_LINK: "the owner signs up again with the same address for a new one",
    SecretKind.RESET_LINK: "the staff member asks for a new one on the Forgot password page",
    SecretKind.INVITE_LINK: "an owner resends the invitation from Settings → Staff",
}

# Where an email carries a secret, its stored bodies hold this marker instead: the kind,
# then 128 random bits made for that one email, so text a user typed cannot name it.
SECRET_MARKER = re.compile(rf"fp-secret-({'|'.join(SecretKind)})-[0-9a-f]{{32}}")


def _hidden(body: str) -> str:
    return SECRET_MARKER.sub(lambda match: f"[{SecretKind(match[1]).label} hidden]", body)


class OutboxEmail(CreatedAtMixin, db.Model):
    __tablename__ = "outbox_emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    to_address: Mapped[str] = mapped_column(String(254))
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(300))
    # The bodies with each secret (sign-in link, temporary password, PIN, fleet link) as
    # a SECRET_MARKER; the secrets themselves only in secrets_ciphertext.
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    # Fernet token of {marker: secret}, erased once sent or at secrets_expire_at (both
    # NULL then, so the sweep's index only holds live secrets).
    secrets_ciphertext: Mapped[str | None] = mapped_column(Text)
    secrets_expire_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    related_type: Mapped[str | None] = mapped_column(String(40))
    related_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[OutboxStatus] = mapped_column(
        enum_type(OutboxStatus, "outbox_status"), default=OutboxStatus.QUEUED
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    company: Mapped[Company | None] = relationship(lazy="raise_on_sql")

    __table_args__ = (
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        Index("ix_outbox_emails_status_next", "status", "next_attempt_at"),
    )

    @property
    def secret_kinds(self) -> list[SecretKind]:
        """The kinds of secret this email carries, in order of appearance, once each."""
        return list(dict.fromkeys(SecretKind(m[1]) for m in SECRET_MARKER.finditer(self.text_body)))

    @property
    def text_for_staff(self) -> str:
        """The text body with each secret shown as a placeholder ("[PIN hidden]")."""
        return _hidden(self.text_body)

    @property
    def html_for_staff(self) -> str | None:
        return self.html_body and _hidden(self.html_body)
