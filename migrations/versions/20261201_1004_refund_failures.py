"""A refund that fails at the provider after it was accepted (Stripe's
``charge.refund.updated`` with status ``failed`` or ``canceled``) is marked on its row.

Revision ID: 1004
Revises: 1002
Create Date: 2026-12-01 16:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "1004"
down_revision: str | None = "1002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("refunds") as batch:
        batch.add_column(sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("failure_reason", sa.Text(), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("refunds") as batch:
        batch.drop_column("failure_reason")
        batch.drop_column("failed_at")
