"""The append-only procurement audit trail."""
