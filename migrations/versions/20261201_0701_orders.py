"""Orders: units of sale, GST rates with effective dates, shipping, carts, orders, invoices.

Seeds the units of sale, the GST rates of the HSN chapters the catalog uses (the 2017 rates and
the slabs in effect from 22 September 2025: 0, 5, 18, 40 % plus 3 % and 0.25 % for precious
goods) and the export shipping zones. Every existing listing is sold by the piece.

Revision ID: 0701
Revises: 0602
Create Date: 2026-12-01 13:10:24
"""

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op

UNITS = [
    ("piece", "piece", "नग"),
    ("pair", "pair", "जोड़ा"),
    ("set", "set", "सेट"),
    ("pack", "pack", "पैक"),
    ("kg", "kg", "किलो"),
    ("g", "g", "ग्राम"),
    ("litre", "litre", "लीटर"),
    ("metre", "metre", "मीटर"),
    ("dozen", "dozen", "दर्जन"),
]

GST_2017 = date(2017, 7, 1)
GST_2025 = date(2025, 9, 22)  # GST 2.0: the 0 / 5 / 18 / 40 % slabs
# (HSN prefix, rate from July 2017 in basis points, rate from 22 September 2025, description)
GST_RATES = [
    ("07", 0, 0, "Fresh vegetables"),
    ("0902", 500, 500, "Tea"),
    ("2106", 1800, 500, "Food preparations (namkeen, sweets)"),
    ("3303", 1800, 1800, "Perfumes and attars"),
    ("4202", 1800, 1800, "Bags and cases of leather"),
    ("4420", 1200, 500, "Wooden handicrafts"),
    ("4602", 1200, 500, "Basketwork and bamboo handicrafts"),
    ("5007", 500, 500, "Woven silk fabrics"),
    ("5208", 500, 500, "Woven cotton fabrics"),
    ("6913", 1200, 500, "Ceramic and glass handicrafts"),
    ("7102", 25, 25, "Diamonds, cut or rough (special rate)"),
    ("7113", 300, 300, "Jewellery of precious metal (special rate)"),
    ("7418", 1200, 500, "Copper and brass handicrafts and utensils"),
    ("8479", 1800, 1800, "Machines and mechanical appliances"),
    ("9503", 1200, 500, "Toys"),
    ("9701", 1200, 500, "Paintings and handmade art"),
    ("9985", 1800, 1800, "Support services"),
    ("2402", 2800, 4000, "Cigars and cigarettes (demerit rate)"),
]

# Export shipping zones and the countries in each (ISO 3166 codes; names come from Babel).
ZONES = [
    ("south-asia", "South Asia", "दक्षिण एशिया", "BD BT LK MV NP"),
    ("middle-east", "Middle East", "मध्य पूर्व", "AE BH KW OM QA SA"),
    ("asia-pacific", "Asia Pacific", "एशिया प्रशांत", "AU HK JP MY NZ SG"),
    ("europe", "Europe", "यूरोप", "AT BE CH DE DK ES FI FR GB IE IT NL NO PL PT SE"),
    ("north-america", "North America", "उत्तरी अमेरिका", "CA US"),
]


revision: str = "0701"
down_revision: str | None = "0602"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sale_units",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("name_hi", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_sale_units")),
    )
    units = sa.table(
        "sale_units",
        sa.column("code"),
        sa.column("name"),
        sa.column("name_hi"),
        sa.column("position"),
    )
    op.bulk_insert(
        units,
        [{"code": c, "name": n, "name_hi": h, "position": i} for i, (c, n, h) in enumerate(UNITS)],
    )
    op.create_table(
        "shipping_zones",
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("name_hi", sa.String(length=80), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_shipping_zones")),
    )
    op.create_table(
        "carts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_carts_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carts")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_carts_token_hash")),
        sa.UniqueConstraint("user_id", name=op.f("uq_carts_user_id")),
    )
    op.create_table(
        "gst_rates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hsn_prefix", sa.String(length=8), nullable=True),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("rate_bp", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
            name=op.f("fk_gst_rates_category_id_categories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gst_rates")),
    )
    with op.batch_alter_table("gst_rates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gst_rates_category_id"), ["category_id"], unique=False)
        batch_op.create_index("ix_gst_rates_lookup", ["hsn_prefix", "effective_from"], unique=False)
    rates = sa.table(
        "gst_rates",
        sa.column("hsn_prefix"),
        sa.column("rate_bp"),
        sa.column("effective_from"),
        sa.column("effective_to"),
        sa.column("description"),
    )
    rows = []
    for prefix, old, new, description in GST_RATES:
        rows.append(
            {
                "hsn_prefix": prefix,
                "rate_bp": old,
                "effective_from": GST_2017,
                "effective_to": GST_2025,
                "description": description,
            }
        )
        rows.append(
            {
                "hsn_prefix": prefix,
                "rate_bp": new,
                "effective_from": GST_2025,
                "effective_to": None,
                "description": description,
            }
        )
    op.bulk_insert(rates, rows)

    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("buyer_user_id", sa.Integer(), nullable=True),
        sa.Column("buyer_email", sa.String(length=254), nullable=False),
        sa.Column("buyer_language", sa.String(length=8), nullable=False),
        sa.Column(
            "payment_status",
            sa.Enum(
                "pending",
                "paid",
                "failed",
                "refunded",
                name="payment_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("inr_per_unit_micros", sa.BigInteger(), nullable=False),
        sa.Column("goods_inr_paise", sa.BigInteger(), nullable=False),
        sa.Column("shipping_inr_paise", sa.BigInteger(), nullable=False),
        sa.Column("tax_inr_paise", sa.BigInteger(), nullable=False),
        sa.Column("total_inr_paise", sa.BigInteger(), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("is_export", sa.Boolean(), nullable=False),
        sa.Column("buyer_gstin", sa.String(length=15), nullable=True),
        sa.Column("ship_name", sa.String(length=140), nullable=False),
        sa.Column("ship_phone", sa.String(length=20), nullable=False),
        sa.Column("ship_line1", sa.String(length=200), nullable=False),
        sa.Column("ship_line2", sa.String(length=200), nullable=False),
        sa.Column("ship_city", sa.String(length=120), nullable=False),
        sa.Column("ship_state_id", sa.Integer(), nullable=True),
        sa.Column("ship_region", sa.String(length=120), nullable=False),
        sa.Column("ship_postal_code", sa.String(length=12), nullable=False),
        sa.Column("ship_country", sa.String(length=2), nullable=False),
        sa.Column("reserved_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("payment_attempt", sa.Integer(), nullable=False),
        sa.Column("payment_provider", sa.String(length=20), nullable=True),
        sa.Column("provider_payment_id", sa.String(length=255), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["buyer_user_id"],
            ["users.id"],
            name=op.f("fk_orders_buyer_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ship_state_id"], ["states.id"], name=op.f("fk_orders_ship_state_id_states")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("number", name=op.f("uq_orders_number")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_orders_buyer_user_id"), ["buyer_user_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_orders_payment_status"), ["payment_status"], unique=False
        )

    op.create_table(
        "shipping_zone_countries",
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("zone_code", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["zone_code"],
            ["shipping_zones.code"],
            name=op.f("fk_shipping_zone_countries_zone_code_shipping_zones"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("country_code", name=op.f("pk_shipping_zone_countries")),
    )
    with op.batch_alter_table("shipping_zone_countries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_shipping_zone_countries_zone_code"), ["zone_code"], unique=False
        )
    zones = sa.table(
        "shipping_zones",
        sa.column("code"),
        sa.column("name"),
        sa.column("name_hi"),
        sa.column("position"),
    )
    op.bulk_insert(
        zones,
        [
            {"code": c, "name": n, "name_hi": h, "position": i}
            for i, (c, n, h, _) in enumerate(ZONES)
        ],
    )
    countries = sa.table(
        "shipping_zone_countries", sa.column("country_code"), sa.column("zone_code")
    )
    op.bulk_insert(
        countries,
        [{"country_code": cc, "zone_code": c} for c, _, _, codes in ZONES for cc in codes.split()],
    )

    op.create_table(
        "invoice_counters",
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("financial_year", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["seller_id"],
            ["sellers.id"],
            name=op.f("fk_invoice_counters_seller_id_sellers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("seller_id", "financial_year", name=op.f("pk_invoice_counters")),
    )
    op.create_table(
        "order_parts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "placed",
                "paid",
                "accepted",
                "packed",
                "shipped",
                "delivered",
                "completed",
                "cancelled",
                "refunded",
                name="order_part_state",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("seller_state_id", sa.Integer(), nullable=False),
        sa.Column("seller_gstin", sa.String(length=15), nullable=True),
        sa.Column("goods_inr_paise", sa.BigInteger(), nullable=False),
        sa.Column("shipping_inr_paise", sa.BigInteger(), nullable=False),
        sa.Column("taxable_inr_paise", sa.BigInteger(), nullable=False),
        sa.Column("cgst_inr_paise", sa.BigInteger(), nullable=False),
        sa.Column("sgst_inr_paise", sa.BigInteger(), nullable=False),
        sa.Column("igst_inr_paise", sa.BigInteger(), nullable=False),
        sa.Column("total_inr_paise", sa.BigInteger(), nullable=False),
        sa.Column("dispatch_days", sa.Integer(), nullable=False),
        sa.Column("carrier", sa.String(length=80), nullable=False),
        sa.Column("tracking_number", sa.String(length=80), nullable=False),
        sa.Column("cancel_reason", sa.Text(), nullable=False),
        sa.Column("refunded_inr_paise", sa.BigInteger(), nullable=False),
        sa.Column("provider_refund_id", sa.String(length=255), nullable=True),
        sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_order_parts_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["seller_id"],
            ["sellers.id"],
            name=op.f("fk_order_parts_seller_id_sellers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["seller_state_id"], ["states.id"], name=op.f("fk_order_parts_seller_state_id_states")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_parts")),
        sa.UniqueConstraint(
            "order_id", "seller_id", name=op.f("uq_order_parts_order_id_seller_id")
        ),
    )
    with op.batch_alter_table("order_parts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_parts_order_id"), ["order_id"], unique=False)
        batch_op.create_index(
            "ix_order_parts_seller_queue", ["seller_id", "state", "id"], unique=False
        )

    op.create_table(
        "seller_export_rates",
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("zone_code", sa.String(length=20), nullable=False),
        sa.Column("rate_paise", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["seller_id"],
            ["sellers.id"],
            name=op.f("fk_seller_export_rates_seller_id_sellers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["zone_code"],
            ["shipping_zones.code"],
            name=op.f("fk_seller_export_rates_zone_code_shipping_zones"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("seller_id", "zone_code", name=op.f("pk_seller_export_rates")),
    )
    op.create_table(
        "seller_shipping",
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("domestic_flat_paise", sa.BigInteger(), nullable=False),
        sa.Column("free_above_paise", sa.BigInteger(), nullable=True),
        sa.Column("dispatch_days", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["seller_id"],
            ["sellers.id"],
            name=op.f("fk_seller_shipping_seller_id_sellers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("seller_id", name=op.f("pk_seller_shipping")),
    )
    op.create_table(
        "invoices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("part_id", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("financial_year", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["part_id"],
            ["order_parts.id"],
            name=op.f("fk_invoices_part_id_order_parts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["seller_id"],
            ["sellers.id"],
            name=op.f("fk_invoices_seller_id_sellers"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
        sa.UniqueConstraint("part_id", name=op.f("uq_invoices_part_id")),
        sa.UniqueConstraint("seller_id", "number", name=op.f("uq_invoices_seller_id_number")),
    )
    op.create_table(
        "order_part_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("part_id", sa.Integer(), nullable=False),
        sa.Column(
            "from_state",
            sa.Enum(
                "placed",
                "paid",
                "accepted",
                "packed",
                "shipped",
                "delivered",
                "completed",
                "cancelled",
                "refunded",
                name="order_part_event_from",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column(
            "to_state",
            sa.Enum(
                "placed",
                "paid",
                "accepted",
                "packed",
                "shipped",
                "delivered",
                "completed",
                "cancelled",
                "refunded",
                name="order_part_event_to",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "actor_kind",
            sa.Enum(
                "buyer",
                "seller",
                "admin",
                "system",
                name="order_actor_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["users.id"],
            name=op.f("fk_order_part_events_actor_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["part_id"],
            ["order_parts.id"],
            name=op.f("fk_order_part_events_part_id_order_parts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_part_events")),
    )
    with op.batch_alter_table("order_part_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_part_events_part_id"), ["part_id"], unique=False)

    op.create_table(
        "cart_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cart_id", sa.Integer(), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("seen_unit_price_paise", sa.BigInteger(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cart_id"], ["carts.id"], name=op.f("fk_cart_lines_cart_id_carts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["listings.id"],
            name=op.f("fk_cart_lines_listing_id_listings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cart_lines")),
        sa.UniqueConstraint("cart_id", "listing_id", name=op.f("uq_cart_lines_cart_id_listing_id")),
    )
    with op.batch_alter_table("cart_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cart_lines_cart_id"), ["cart_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cart_lines_listing_id"), ["listing_id"], unique=False)

    op.create_table(
        "order_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("part_id", sa.Integer(), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("title_hi", sa.String(length=200), nullable=True),
        sa.Column("unit_code", sa.String(length=16), nullable=False),
        sa.Column("hsn_code", sa.String(length=8), nullable=False),
        sa.Column("gst_rate_bp", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("list_unit_price_paise", sa.BigInteger(), nullable=False),
        sa.Column("unit_price_paise", sa.BigInteger(), nullable=False),
        sa.Column("total_paise", sa.BigInteger(), nullable=False),
        sa.Column("taxable_paise", sa.BigInteger(), nullable=False),
        sa.Column("tax_paise", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["listings.id"],
            name=op.f("fk_order_lines_listing_id_listings"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["part_id"],
            ["order_parts.id"],
            name=op.f("fk_order_lines_part_id_order_parts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_lines")),
    )
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_lines_listing_id"), ["listing_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_order_lines_part_id"), ["part_id"], unique=False)

    op.create_table(
        "stock_reservations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("part_id", sa.Integer(), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "held",
                "consumed",
                "released",
                name="reservation_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["listings.id"],
            name=op.f("fk_stock_reservations_listing_id_listings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_stock_reservations_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["part_id"],
            ["order_parts.id"],
            name=op.f("fk_stock_reservations_part_id_order_parts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_reservations")),
    )
    with op.batch_alter_table("stock_reservations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_stock_reservations_expiry", ["status", "expires_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_stock_reservations_listing_id"), ["listing_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_stock_reservations_order_id"), ["order_id"], unique=False
        )

    op.create_table(
        "weekly_capacity",
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("reserved", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["listings.id"],
            name=op.f("fk_weekly_capacity_listing_id_listings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("listing_id", "week_start", name=op.f("pk_weekly_capacity")),
    )
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("unit_code", sa.String(length=16), server_default="piece", nullable=False)
        )
        batch_op.add_column(sa.Column("weekly_capacity", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_listings_unit_code_sale_units"), "sale_units", ["unit_code"], ["code"]
        )


def downgrade() -> None:
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_listings_unit_code_sale_units"), type_="foreignkey")
        batch_op.drop_column("weekly_capacity")
        batch_op.drop_column("unit_code")

    op.drop_table("weekly_capacity")
    with op.batch_alter_table("stock_reservations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stock_reservations_order_id"))
        batch_op.drop_index(batch_op.f("ix_stock_reservations_listing_id"))
        batch_op.drop_index("ix_stock_reservations_expiry")

    op.drop_table("stock_reservations")
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_lines_part_id"))
        batch_op.drop_index(batch_op.f("ix_order_lines_listing_id"))

    op.drop_table("order_lines")
    with op.batch_alter_table("cart_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cart_lines_listing_id"))
        batch_op.drop_index(batch_op.f("ix_cart_lines_cart_id"))

    op.drop_table("cart_lines")
    with op.batch_alter_table("order_part_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_part_events_part_id"))

    op.drop_table("order_part_events")
    op.drop_table("invoices")
    op.drop_table("seller_shipping")
    op.drop_table("seller_export_rates")
    with op.batch_alter_table("order_parts", schema=None) as batch_op:
        batch_op.drop_index("ix_order_parts_seller_queue")
        batch_op.drop_index(batch_op.f("ix_order_parts_order_id"))

    op.drop_table("order_parts")
    op.drop_table("invoice_counters")
    with op.batch_alter_table("shipping_zone_countries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shipping_zone_countries_zone_code"))

    op.drop_table("shipping_zone_countries")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_payment_status"))
        batch_op.drop_index(batch_op.f("ix_orders_buyer_user_id"))

    op.drop_table("orders")
    with op.batch_alter_table("gst_rates", schema=None) as batch_op:
        batch_op.drop_index("ix_gst_rates_lookup")
        batch_op.drop_index(batch_op.f("ix_gst_rates_category_id"))

    op.drop_table("gst_rates")
    op.drop_table("carts")
    op.drop_table("shipping_zones")
    op.drop_table("sale_units")
