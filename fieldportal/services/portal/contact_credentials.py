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


def password_sign_in_allowed(company: Company) -> bool:
    """Whether a password set here lets the contact in now (the company's switch)."""
    return company.portal_enabled and company.allows_login(LoginMethod.PASSWORD)
