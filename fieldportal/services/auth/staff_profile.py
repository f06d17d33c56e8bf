"""What a staff member changes about themselves on the profile page (the password is
services/auth/staff_passwords.change_password)."""

from ...models import StaffUser
from .. import audit
from ..errors import Invalid


def update_name(staff: StaffUser, name: str) -> None:
    """Set the name colleagues see; Invalid on ``name`` when it is blank. Audited."""
    name = " ".join(name.split())
    if not name:
        raise Invalid(errors={"name": ["Enter your name."]})
    if name == staff.name:
        return
    audit.record(
        staff.company_id,
        "staff.renamed",
        actor=staff,
        subject=staff,
        summary=f"{staff.name} → {name}",
    )
    staff.name = name
