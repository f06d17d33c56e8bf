"""The company's sign-in method switches (Settings, "Ways customers may sign in"), held
exactly: each way in works while its own switch is on and at no other time.

A password of the contact's own is "Username and password"; a temporary password from
the activation email is "Activation email". So with "Username and password" off no
permanent password signs in, even while "Activation email" is on. Switching a method off
ends the portal sessions opened with it at their next request (QUALITY.md 15), and at
least one method stays on.
"""

from ...models import Company, Contact, LoginMethod, SignInMethod
from .. import audit
from ..auth.auth_sessions import end_sessions
from ..errors import Invalid

AT_LEAST_ONE = (
    "Keep at least one way for customers to sign in. To close the portal, switch "
    "“Customer portal on” off instead."
)


def password_method(contact: Contact) -> LoginMethod:
    """The switch a contact's password answers to: activation for a temporary one."""
    return LoginMethod.ACTIVATION if contact.password_is_temporary else LoginMethod.PASSWORD


def password_allowed(company: Company, contact: Contact) -> bool:
    """Whether the company lets this contact's kind of password sign in now."""
    return company.allows_login(password_method(contact))


def checked(methods: list[str]) -> list[str]:
    """The methods to switch on, known ones in the order LoginMethod lists them; refuses
    (Invalid, on login_methods) switching every one off."""
    chosen = [method.value for method in LoginMethod if method.value in set(methods)]
    if not chosen:
        raise Invalid(errors={"login_methods": [AT_LEAST_ONE]})
    return chosen


def end_switched_off(company: Company, before: list[str], *, by) -> int:
    """End the portal sessions of the company opened with a method that was on
    (``before``) and is off now; returns how many ended."""
    switched_off = [
        method for method in before or [] if not company.allows_login(LoginMethod(method))
    ]
    ended = sum(
        end_sessions(portal_of_company_id=company.id, method=SignInMethod(method))
        for method in switched_off
    )
    if switched_off:
        audit.record(
            company.id,
            "portal.sign_in_methods_switched_off",
            actor=by,
            subject=company,
            summary=f"Sign-in switched off: {', '.join(switched_off)}; {ended} session(s) ended",
            methods=switched_off,
            sessions=ended,
        )
    return ended
