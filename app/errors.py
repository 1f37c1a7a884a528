"""Domain errors carry their HTTP status; one handler renders them as a page or as JSON."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class AppError(Exception):
    status_code = 400
    code = "bad_request"
    title = "Something is wrong with that request"

    def __init__(self, message: str | None = None, *, details: Any = None) -> None:
        super().__init__(message or self.title)
        self.message = message or self.title
        self.details = details


class NotFound(AppError):
    status_code = 404
    code = "not_found"
    title = "We could not find that page"

    def __init__(
        self, message: str | None = None, *, suggestions: list[tuple[str, str]] | None = None
    ) -> None:
        super().__init__(message)
        self.suggestions = suggestions or []


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"
    title = "You are not allowed to do that"


class Unauthorized(AppError):
    status_code = 401
    code = "unauthorized"
    title = "Please sign in"


class Conflict(AppError):
    status_code = 409
    code = "conflict"
    title = "That conflicts with the current state"


class ValidationFailed(AppError):
    status_code = 422
    code = "validation_failed"
    title = "Some values are not valid"


class FormErrors(ValidationFailed):
    """Wrong values in form fields, keyed by field name; a page re-renders the form with them."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(next(iter(errors.values())), details=errors)
        self.errors = errors

    @classmethod
    def collect(cls, *checks: Callable[[], object]) -> None:
        """Run every check and raise one FormErrors with all their field errors, if any."""
        errors: dict[str, str] = {}
        for check in checks:
            try:
                check()
            except FormErrors as exc:
                errors.update(exc.errors)
        if errors:
            raise cls(errors)


class CsrfFailed(AppError):
    status_code = 403
    code = "csrf_failed"
    title = "This form has expired. Please go back, reload the page and try again."
