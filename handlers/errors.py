"""The one error vocabulary. Handlers raise these; the API maps them to JSON, the bot to text."""
from __future__ import annotations


class DomainError(Exception):
    """A refusal the user can act on. ``message`` is Simplified Chinese."""

    status = 400
    code = "bad_request"
    keep_changes = False  # True: the refusal itself must be kept (e.g. an audited failed attempt)

    def __init__(self, message: str, code: str | None = None, **details):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details

    def keeping_changes(self) -> "DomainError":
        """Ask the unit of work to commit what was recorded before this refusal instead of rolling it back."""
        self.keep_changes = True
        return self

    def as_dict(self) -> dict:
        body = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body


class InvalidInput(DomainError):
    status = 422
    code = "invalid_input"


class NotFound(DomainError):
    """Also used for objects the actor may not see, so ids cannot be probed."""

    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class Conflict(DomainError):
    """Stale version, duplicate, or an action the object's state does not allow."""

    status = 409
    code = "conflict"


class TooManyRequests(DomainError):
    status = 429
    code = "too_many_requests"


class Unavailable(DomainError):
    status = 503
    code = "unavailable"


def from_rule(violation) -> DomainError:
    """Turn a pure rule's :class:`RuleViolation` into the matching domain error."""
    cls = Conflict if violation.code in ("illegal_transition", "quota_exceeded") else InvalidInput
    return cls(violation.message, violation.code, **violation.details)


class PreconditionFailed(DomainError):
    """The client's version (If-Match) is not the current one: somebody else saved in between."""

    status = 412
    code = "version_mismatch"


class PreconditionRequired(DomainError):
    """A write that needs the client's version (If-Match) came without it."""

    status = 428
    code = "version_required"
