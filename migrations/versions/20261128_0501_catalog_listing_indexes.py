"""catalog: composite indexes for public listing pages (scope, status, sort key, id)

Revision ID: 0501
Revises: 0301
Create Date: 2026-11-28 23:59:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0501"
down_revision: str | None = "0301"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCOPES = (
    ("all", ()),
    ("state", ("state_id",)),
    ("district", ("district_id",)),
    ("gi", ("gi_tag_id",)),
    ("category", ("category_id",)),
)
SORTS = (("newest", "published_at"), ("price", "price_paise"))


def upgrade() -> None:
    op.drop_index("ix_listings_public_price", table_name="listings")
    op.drop_index("ix_listings_public_district", table_name="listings")
    for name, scope in SCOPES:
        for sort, key in SORTS:
            op.create_index(
                f"ix_listings_pub_{name}_{sort}", "listings", [*scope, "status", key, "id"]
            )


def downgrade() -> None:
    for name, _ in SCOPES:
        for sort, _ in SORTS:
            op.drop_index(f"ix_listings_pub_{name}_{sort}", table_name="listings")
    op.create_index(
        "ix_listings_public_district", "listings", ["district_id", "status", "published_at"]
    )
    op.create_index("ix_listings_public_price", "listings", ["status", "price_paise"])
