"""Staff give a contact a username and password themselves (manage_portal_access), as the
reference product's "Portal settings" popup does, and copy the portal's sign-in address
to pass on. The activation email (portal_auth.send_activation) stays the other way."""

from ...models import Company, Contact, LoginMethod
from .. import audit, customers
from ..auth.passwords import password_problem
from ..errors import Invalid
from ..mail import mailer
from .portal_auth import set_password


def portal_sign_in_url(company: Company) -> str:
    """The company's portal sign-in page, from BASE_URL (never the Host header)."""
    return mailer.absolute_url("portal.sign_in", company_slug=company.slug)


def set_username_and_password(contact: Contact, *, username: str, password: str, by) -> None:
    """The contact signs in with ``username`` (their email, which becomes the contact's
    email) and ``password`` from now on: a password of their own, not a temporary one, so
    it is the "Username and password" sign-in method that lets it in. Every session of
    the contact ends (QUALITY.md 15). Refuses (Invalid, nothing changed) a username
    another contact of the company uses and a password the rules refuse."""
    username = username.strip().lower()
    customers.check_unique_contact(contact.company_id, {"email": username}, contact.id)
    problem = password_problem(password)
    if problem:
        raise Invalid(errors={"password": [problem]})
    changed_username = contact.email != username
    contact.email = username
    set_password(contact, password)
    audit.record(
        contact.company_id,
        "portal.password_set_by_staff",
        actor=by,
        subject=contact,
        customer_id=contact.customer_id,
        summary=f"Set the portal username and password of {contact.name}"
        + (f" (username now {username})" if changed_username else ""),
        username_changed=changed_username,
    )


def why_password_lets_no_one_in(company: Company) -> str | None:
    """Why a password set now would not let the contact in, in words for the staff member
    setting it (the plan, the portal switch, the sign-in method switch); None when it would."""
    if not company.plan.has_portal:
        return (
            "The customer portal is part of the Pro plan. On the Free plan every portal "
            "address answers “unavailable”, so this password lets no one in until the "
            "company moves to Pro."
        )
    if not company.portal_enabled:
        return (
            "The customer portal is switched off in Settings (“Customer portal on”), so this "
            "password lets no one in until it is switched on."
        )
    if not company.allows_login(LoginMethod.PASSWORD):
        return (
            "Password sign-in is switched off in Settings (“Username and password”), so this "
            "password lets no one in until it is switched on."
        )
    return None
