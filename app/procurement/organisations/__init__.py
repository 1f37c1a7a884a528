"""Buyer organisations, their members in roles, and consignees' delivery addresses."""
