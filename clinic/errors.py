"""Domain errors: what a service refuses, in words a user can read."""


class DomainError(Exception):
    """A refusal the user can act on. `field` names the form field it belongs to, if any."""

    status_code = 422

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field


class NotAllowed(DomainError):
    status_code = 403


class Conflict(DomainError):
    """The state changed under the user's feet (a slot taken a moment ago, a booking already cancelled)."""

    status_code = 409
