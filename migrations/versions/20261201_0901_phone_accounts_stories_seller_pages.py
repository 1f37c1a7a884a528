"""Accounts by mobile number (texted one-time codes), district and ODOP product stories in
English and Hindi, which collective members a seller page shows (a listing's unit of sale is
0701's ``listings.unit_code``).

A user now has an email address, a mobile number, or both; accounts made by mobile number have
no password. Downgrading deletes accounts that have no email address (they cannot exist in the
old schema).

Revision ID: 0901
Revises: 0801
Create Date: 2026-12-01 13:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0901"
down_revision: str | None = "0801"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "phone_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=16), nullable=False),
        sa.Column(
            "purpose",
            sa.Enum(
                "sign_up",
                "sign_in",
                name="phone_code_purpose",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phone_codes")),
    )
    with op.batch_alter_table("phone_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_phone_codes_phone"), ["phone"], unique=False)

    with op.batch_alter_table("districts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("story", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("story_hi", sa.Text(), nullable=True))
    with op.batch_alter_table("districts", schema=None) as batch_op:
        batch_op.alter_column("story", server_default=None)

    with op.batch_alter_table("odop_products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("story_hi", sa.Text(), nullable=True))

    with op.batch_alter_table("seller_members", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("show_publicly", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("seller_members", schema=None) as batch_op:
        batch_op.alter_column("show_publicly", server_default=None)

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column("phone_verified_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.alter_column("email", existing_type=sa.VARCHAR(length=254), nullable=True)
        batch_op.alter_column("password_hash", existing_type=sa.VARCHAR(length=255), nullable=True)
        batch_op.create_unique_constraint(batch_op.f("uq_users_phone"), ["phone"])
        batch_op.create_check_constraint(
            op.f("ck_users_contact"), "email IS NOT NULL OR phone IS NOT NULL"
        )


def downgrade() -> None:
    op.execute("DELETE FROM users WHERE email IS NULL OR password_hash IS NULL")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_users_contact"), type_="check")
        batch_op.drop_constraint(batch_op.f("uq_users_phone"), type_="unique")
        batch_op.alter_column("password_hash", existing_type=sa.VARCHAR(length=255), nullable=False)
        batch_op.alter_column("email", existing_type=sa.VARCHAR(length=254), nullable=False)
        batch_op.drop_column("phone_verified_at")
        batch_op.drop_column("phone")

    with op.batch_alter_table("seller_members", schema=None) as batch_op:
        batch_op.drop_column("show_publicly")

    with op.batch_alter_table("odop_products", schema=None) as batch_op:
        batch_op.drop_column("story_hi")

    with op.batch_alter_table("districts", schema=None) as batch_op:
        batch_op.drop_column("story_hi")
        batch_op.drop_column("story")

    with op.batch_alter_table("phone_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_phone_codes_phone"))
    op.drop_table("phone_codes")
