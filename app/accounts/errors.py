"""Account errors. Field-level problems carry ``details={field: message}`` for forms."""

from __future__ import annotations

from app.errors import AppError, FormErrors, Unauthorized

__all__ = ["FieldError", "SignInFailed", "SignInRequired", "TooManyAttempts"]


class FieldError(FormErrors):
    """One form field is wrong: ``FieldError("password", "Use at least 8 characters.")``."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__({field: message})


class SignInFailed(Unauthorized):
    """Wrong email or password: one message for both, so accounts cannot be enumerated."""

    code = "sign_in_failed"


class TooManyAttempts(AppError):
    status_code = 429
    code = "too_many_attempts"
    title = "Too many attempts"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SignInRequired(Unauthorized):
    """Raised by ``CurrentUser`` on pages; the handler redirects to the sign-in page with
    ``next=`` (API routes get a 401 JSON error instead)."""

    code = "sign_in_required"

    def __init__(self, next_path: str) -> None:
        super().__init__()
        self.next_path = next_path
