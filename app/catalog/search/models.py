"""Search data that lives in the schema: the admin-editable synonym groups.

The indexes themselves (the database backend's document and vocabulary tables, or the
Meilisearch index) are derived data owned by the search backend: `odop search reindex` builds them
beside the live ones and swaps them in, which Alembic-managed tables could not do.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class SynonymGroup(Base):
    """Words that mean the same product or place: Banaras, Banarasi, Varanasi, बनारसी."""

    __tablename__ = "search_synonyms"

    id: Mapped[int] = mapped_column(primary_key=True)
    terms: Mapped[list[str]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class IndexState(Base):
    """One row: ``version`` grows with every write to the search index (see service.search)."""

    __tablename__ = "search_index_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)
