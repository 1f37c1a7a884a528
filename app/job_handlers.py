"""Imports every module that registers job handlers, so a worker knows every job kind."""

from __future__ import annotations


def register_all() -> None:
    """Handlers register themselves on import; later domains add their modules here."""
