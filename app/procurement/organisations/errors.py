"""Errors of buyer organisations; each carries its HTTP status (see app/errors.py)."""

from __future__ import annotations

from app.errors import Conflict, Forbidden, NotFound


class OrganisationNotFound(NotFound):
    title = "We could not find that organisation"


class RoleRequired(Forbidden):
    code = "role_required"
    title = "You do not hold the role this needs in that organisation"


class NotVerified(Conflict):
    code = "organisation_not_verified"
    title = "A platform administrator must verify this government organisation first"
