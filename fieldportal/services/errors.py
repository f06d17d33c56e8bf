"""The one family of rule errors services raise.

A service refuses with one of these; the view (or, when the view does not catch it, the
handler in ``fieldportal.web``) turns it into the answer: 422 with field messages, 409, or
404. The request's changes are rolled back either way (``fieldportal.transaction``).
"""


class RuleError(Exception):
    """A business rule refused the action. ``errors`` maps form fields to messages."""

    status = 422

    def __init__(self, message: str = "", errors: dict[str, list[str]] | None = None):
        self.errors = dict(errors or {})
        self.message = message or "; ".join(
            message for messages in self.errors.values() for message in messages
        )
        super().__init__(self.message)


class Invalid(RuleError):
    """The input breaks a rule: 422, with a message per field where there is one."""

    status = 422


class Conflict(RuleError):
    """The action clashes with the record's current state (already decided, paid…): 409."""

    status = 409


class NotFound(RuleError):
    """What the action needs does not exist for this company or customer: 404."""

    status = 404
