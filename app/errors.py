"""Domain errors carry their HTTP status; one handler renders them as a page or as JSON."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field


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


# How the JSON API documents its errors: the one body every handler writes under /api/, and the
# statuses each operation really answers (listed on its router), so /openapi.json says what a
# client will get and schemathesis can hold the API to it.


class ErrorDetail(BaseModel):
    code: str = Field(description="Machine-readable: not_found, validation_failed, ...")
    message: str
    details: Any = Field(default=None, description="Per-field errors, when there are some")


class ErrorOut(BaseModel):
    error: ErrorDetail


_DESCRIPTIONS = {
    401: "No valid API token (`Authorization: Bearer odop_...`)",
    403: "The token or its user lacks the permission this needs",
    404: "No such resource (or not yours)",
    409: "Not allowed in the resource's current state",
    422: "A parameter or the body is not valid",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a router or route: each status with the shared error body."""
    return {
        status: {"model": ErrorOut, "description": _DESCRIPTIONS[status]} for status in statuses
    }
