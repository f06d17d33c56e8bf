"""Server-side sessions for benchmark clients, without going through the sign-in forms."""

from sqlalchemy import select


def new_session_token(app, email: str) -> str:
    """A new live session for the staff user or portal contact with this email; returns the
    cookie token (only its hash is stored, as for a real sign-in)."""
    from fieldportal.extensions import db
    from fieldportal.models import AuthSession, Contact, SignInMethod, StaffUser, utcnow
    from fieldportal.services.auth.tokens import new_token, token_hash

    with app.app_context():
        staff = db.session.scalar(select(StaffUser).where(StaffUser.email == email))
        contact = (
            None if staff else db.session.scalar(select(Contact).where(Contact.email == email))
        )
        token = new_token()
        row = AuthSession(
            token_hash=token_hash(token),
            company_id=(staff or contact).company_id,
            remember=True,
            expires_at=utcnow() + app.config["STAFF_ABSOLUTE_TIMEOUT"],
        )
        if staff:
            row.staff_user_id, row.method = staff.id, SignInMethod.STAFF_PASSWORD
        else:
            row.contact_id, row.customer_id = contact.id, contact.customer_id
            row.method = SignInMethod.MAGIC_LINK
        db.session.add(row)
        db.session.commit()
    return token
