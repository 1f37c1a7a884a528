"""Search: a counter of index changes, and the pg_trgm extension on PostgreSQL.

Every write to the search index bumps ``search_index_state.version`` in the same transaction, so
each process can keep cached results until the index really changes. On PostgreSQL the database
backend finds typo candidates with pg_trgm over its vocabulary table (created by the backend).

Revision ID: 0602
Revises: 0601
Create Date: 2026-11-29 03:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0602"
down_revision: str | None = "0601"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    table = op.create_table(
        "search_index_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_index_state")),
    )
    op.bulk_insert(table, [{"id": 1, "version": 0}])


def downgrade() -> None:
    # The extension stays: the backend's runtime vocabulary index may depend on it.
    op.drop_table("search_index_state")
