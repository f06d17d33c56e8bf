"""What staff see and do on the Outbox page: the company's emails, newest first, one
email as the recipient got it (secrets hidden), and queueing a failed one again."""

from dataclasses import dataclass

from sqlalchemy import func, select

from ...extensions import db
from ...models import Company, OutboxEmail, OutboxStatus, StaffUser
from ...pagination import Key, ListQuery, Page, paginate_after
from .. import audit
from ..errors import Conflict
from . import outbox_delivery
from .mailer import without_inline_styles

EMAILS_PER_PAGE = 50
RETRYABLE = (OutboxStatus.FAILED, OutboxStatus.NOT_SENT)


@dataclass(frozen=True, kw_only=True)
class OutboxQuery(ListQuery):
    """The outbox list: by status, kind and a part of the recipient's address."""

    status: str = ""
    kind: str = ""
    recipient: str = ""

    @classmethod
    def from_args(cls, args) -> "OutboxQuery":
        status = args.get("status", "")
        return cls(
            **cls.list_args(args),
            status=status if status in OutboxStatus._value2member_map_ else "",
            kind=args.get("kind", "")[:40],
            recipient=args.get("recipient", "").strip()[:254],
        )

    def filter_params(self) -> dict:
        return {"status": self.status, "kind": self.kind, "recipient": self.recipient}


def outbox_list(company_id: int, query: OutboxQuery) -> Page[OutboxEmail]:
    """A page of the company's emails, newest first, filtered; keyset pages, so the
    hundredth page costs what the first does."""
    statement = select(OutboxEmail).where(OutboxEmail.company_id == company_id)
    if query.status:
        statement = statement.where(OutboxEmail.status == OutboxStatus(query.status))
    if query.kind:
        statement = statement.where(OutboxEmail.kind == query.kind)
    if query.recipient:
        statement = statement.where(
            func.lower(OutboxEmail.to_address).contains(query.recipient.lower(), autoescape=True)
        )
    keys = [Key(OutboxEmail.id, descending=True)]
    return paginate_after(statement, query, keys=keys, per_page=EMAILS_PER_PAGE)


def kinds_sent(company_id: int) -> list[str]:
    """The kinds of email the company has queued, for the kind filter."""
    return list(
        db.session.scalars(
            select(OutboxEmail.kind)
            .where(OutboxEmail.company_id == company_id)
            .distinct()
            .order_by(OutboxEmail.kind)
        )
    )


@dataclass(frozen=True)
class OutboxListView:
    """The Outbox page: one page of emails and, for the filter form, the kinds there are
    (empty for a fragment, which shows only the table)."""

    result: Page
    query: OutboxQuery
    kinds: list[str]


def list_view(company: Company, query: OutboxQuery, *, with_filters: bool) -> OutboxListView:
    kinds = kinds_sent(company.id) if with_filters else []
    return OutboxListView(outbox_list(company.id, query), query, kinds)


def preview_html(email: OutboxEmail) -> str | None:
    """The HTML version as staff may see it (secrets hidden, inline styles dropped so the
    page's CSP holds), or None for a text-only email."""
    return email.html_for_staff and without_inline_styles(email.html_for_staff)


def queue_again(email: OutboxEmail, *, by: StaffUser) -> None:
    """Put a failed or unsent email back in the queue (audited). Conflict when it is not
    failed or unsent, or when a secret it carries is gone (nothing changes)."""
    if email.status not in RETRYABLE:
        raise Conflict("Only a failed or unsent email can be queued again.")
    outbox_delivery.retry(email)
    audit.record(
        email.company_id, "outbox.retried", actor=by, subject=email, summary=email.to_address
    )
