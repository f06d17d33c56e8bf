"""Every model, importable from one place: ``from fieldportal.models import Job``."""

from .asset import Asset, AssetDefect, AssetTest, DefectSeverity, DefectStatus
from .audit import AuditEvent
from .base import utcnow
from .billing import (
    CheckoutAllocation,
    CheckoutPayment,
    CheckoutStatus,
    Invoice,
    InvoiceStatus,
    LineItem,
    Payment,
    PaymentMethod,
    Quote,
    QuoteDecision,
    QuoteDecisionKind,
    QuoteStatus,
    Report,
    ReportKind,
    ReportStatus,
    StripeEvent,
)
from .capabilities import ROLE_CAPABILITIES, Capability, StaffRole
from .company import (
    ASSET_PORTAL_FIELDS,
    BillingTerms,
    Company,
    CustomerJobType,
    JobType,
    LoginMethod,
    Plan,
    StaffUser,
)
from .customer import Contact, Customer, CustomerKind, PortalPermission, Site, contact_sites
from .data_import import ImportKind, ImportUpload
from .fleet import OdometerReading, Vehicle
from .job import ACTIVE_JOB_STATUSES, CUSTOMER_STATUS_LABELS, Job, JobStatus, JobStatusChange
from .outbox import OutboxEmail, OutboxStatus, SecretKind
from .platform import (
    PlatformAdmin,
    PlatformAuditEvent,
    PlatformLink,
    PlatformRecoveryCode,
    PlatformSession,
)
from .portal_access import AuthSession, LoginLink, LoginLinkPurpose, SignInMethod, SignInStep
from .reminder import EmailOptOut, ReminderKind, ReminderSetting, SentReminder
from .request import MAX_REQUEST_PHOTOS, RequestPhoto, RequestStatus, ServiceRequest, Urgency
from .setup import SetupLink, SetupPurpose
from .two_factor import StaffRecoveryCode, TwoFactorPolicy

__all__ = [name for name in dir() if not name.startswith("_")]
