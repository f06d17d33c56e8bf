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


# What each way in that staff hand out is called: (the switch's name in Settings, the
# sign-in it stands for, what staff would hand out).
HANDED_OUT = {
    LoginMethod.PASSWORD: ("Username and password", "Password sign-in", "this password"),
    LoginMethod.MAGIC_LINK: ("Email sign-in link", "Sign-in by emailed link", "a sign-in link"),
    LoginMethod.ACTIVATION: (
        "Activation email with temporary password",
        "The activation email",
        "a temporary password",
    ),
    LoginMethod.PIN: ("Phone number and PIN", "Sign-in by phone and PIN", "a PIN"),
}


def why_it_lets_no_one_in(company: Company, method: LoginMethod) -> str | None:
    """Why what staff hand out for ``method`` (a password, a sign-in link, a temporary
    password, a PIN) would not let the contact in now, in words for the staff member: the
    plan, the portal switch, or that method's switch; None when it would."""
    switch, sign_in, what = HANDED_OUT[method]
    if not company.plan.has_portal:
        return (
            "The customer portal is part of the Pro plan. On the Free plan every portal "
            f"address answers “unavailable”, so {what} lets no one in until the company "
            "moves to Pro."
        )
    if not company.portal_enabled:
        return (
            "The customer portal is switched off in Settings (“Customer portal on”), so "
            f"{what} lets no one in until it is switched on."
        )
    if not company.allows_login(method):
        return (
            f"{sign_in} is switched off in Settings (“{switch}”), so {what} lets no one in "
            "until it is switched on."
        )
    return None


def closed_ways_in(company: Company) -> dict[str, str]:
    """For the access page: each way staff hand out that would let no one in now, by the
    method's value, with why."""
    reasons = {method.value: why_it_lets_no_one_in(company, method) for method in HANDED_OUT}
    return {method: reason for method, reason in reasons.items() if reason}
