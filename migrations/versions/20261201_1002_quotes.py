"""Quotes for any buyer: quotes, their recorded transitions, the message thread and its
attachments; a cart line may carry a price agreed with the seller (``agreed_unit_price_paise``
and ``agreement``), and an order line keeps the agreement it was sold at.

Revision ID: 1002
Revises: 1003
Create Date: 2026-12-01 16:17:03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "1002"
down_revision: str | None = "1003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "quotes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("buyer_user_id", sa.Integer(), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "requested",
                "offered",
                "accepted",
                "declined",
                "expired",
                "withdrawn",
                name="quote_state",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("specifications", sa.Text(), nullable=False),
        sa.Column("delivery_country", sa.String(length=2), nullable=False),
        sa.Column("delivery_district_id", sa.Integer(), nullable=True),
        sa.Column("wanted_by", sa.Date(), nullable=False),
        sa.Column("unit_price_paise", sa.BigInteger(), nullable=True),
        sa.Column("lead_time_days", sa.Integer(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("offers_made", sa.Integer(), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["buyer_user_id"],
            ["users.id"],
            name=op.f("fk_quotes_buyer_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["delivery_district_id"],
            ["districts.id"],
            name=op.f("fk_quotes_delivery_district_id_districts"),
        ),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["listings.id"],
            name=op.f("fk_quotes_listing_id_listings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["seller_id"],
            ["sellers.id"],
            name=op.f("fk_quotes_seller_id_sellers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quotes")),
    )
    with op.batch_alter_table("quotes", schema=None) as batch_op:
        batch_op.create_index("ix_quotes_buyer", ["buyer_user_id", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_quotes_listing_id"), ["listing_id"], unique=False)
        batch_op.create_index("ix_quotes_seller_queue", ["seller_id", "state", "id"], unique=False)

    op.create_table(
        "quote_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("quote_id", sa.Integer(), nullable=False),
        sa.Column(
            "from_state",
            sa.Enum(
                "requested",
                "offered",
                "accepted",
                "declined",
                "expired",
                "withdrawn",
                name="quote_event_from",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column(
            "to_state",
            sa.Enum(
                "requested",
                "offered",
                "accepted",
                "declined",
                "expired",
                "withdrawn",
                name="quote_event_to",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "side",
            sa.Enum(
                "buyer",
                "seller",
                "system",
                name="quote_side",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("unit_price_paise", sa.BigInteger(), nullable=True),
        sa.Column("lead_time_days", sa.Integer(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["users.id"],
            name=op.f("fk_quote_events_actor_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["quote_id"],
            ["quotes.id"],
            name=op.f("fk_quote_events_quote_id_quotes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quote_events")),
    )
    with op.batch_alter_table("quote_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quote_events_quote_id"), ["quote_id"], unique=False)

    op.create_table(
        "quote_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("quote_id", sa.Integer(), nullable=False),
        sa.Column(
            "side",
            sa.Enum(
                "buyer",
                "seller",
                "system",
                name="quote_message_side",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("author_user_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_user_id"],
            ["users.id"],
            name=op.f("fk_quote_messages_author_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["quote_id"],
            ["quotes.id"],
            name=op.f("fk_quote_messages_quote_id_quotes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quote_messages")),
    )
    with op.batch_alter_table("quote_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quote_messages_quote_id"), ["quote_id"], unique=False)

    op.create_table(
        "quote_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=False),
        sa.Column("filename", sa.String(length=120), nullable=False),
        sa.Column("content_type", sa.String(length=60), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["quote_messages.id"],
            name=op.f("fk_quote_attachments_message_id_quote_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quote_attachments")),
    )
    with op.batch_alter_table("quote_attachments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_quote_attachments_message_id"), ["message_id"], unique=False
        )

    with op.batch_alter_table("cart_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("agreed_unit_price_paise", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("agreement", sa.String(length=80), nullable=False, server_default="")
        )
    with op.batch_alter_table("cart_lines", schema=None) as batch_op:
        batch_op.alter_column("agreement", server_default=None)

    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("agreement", sa.String(length=80), nullable=False, server_default="")
        )
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.alter_column("agreement", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_column("agreement")

    with op.batch_alter_table("cart_lines", schema=None) as batch_op:
        batch_op.drop_column("agreement")
        batch_op.drop_column("agreed_unit_price_paise")

    with op.batch_alter_table("quote_attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quote_attachments_message_id"))

    op.drop_table("quote_attachments")
    with op.batch_alter_table("quote_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quote_messages_quote_id"))

    op.drop_table("quote_messages")
    with op.batch_alter_table("quote_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quote_events_quote_id"))

    op.drop_table("quote_events")
    with op.batch_alter_table("quotes", schema=None) as batch_op:
        batch_op.drop_index("ix_quotes_seller_queue")
        batch_op.drop_index(batch_op.f("ix_quotes_listing_id"))
        batch_op.drop_index("ix_quotes_buyer")

    op.drop_table("quotes")
