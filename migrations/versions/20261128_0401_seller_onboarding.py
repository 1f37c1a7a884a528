"""Seller onboarding: profile, identifiers, encrypted bank account, documents, members,
GI claim certificates, listing attribution and the append-only verification audit log.

Revision ID: 0401
Revises: 0501
Create Date: 2026-11-28 23:42:21.025643
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0401"
down_revision: str | None = "0501"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "seller_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "identity",
                "registration",
                "gst",
                "bank",
                "gi_certificate",
                "other",
                name="document_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("storage_key", sa.String(length=255), nullable=False),
        sa.Column("filename", sa.String(length=120), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["seller_id"],
            ["sellers.id"],
            name=op.f("fk_seller_documents_seller_id_sellers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seller_documents")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_seller_documents_storage_key")),
    )
    with op.batch_alter_table("seller_documents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_seller_documents_seller_id"), ["seller_id"], unique=False
        )

    op.create_table(
        "seller_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=140), nullable=False),
        sa.Column("craft", sa.String(length=140), nullable=False),
        sa.Column("pehchan_card", sa.String(length=25), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=False, server_default=sa.text("''")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["seller_id"],
            ["sellers.id"],
            name=op.f("fk_seller_members_seller_id_sellers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seller_members")),
    )
    with op.batch_alter_table("seller_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_seller_members_seller_id"), ["seller_id"], unique=False
        )

    op.create_table(
        "verification_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("gi_claim_id", sa.Integer(), nullable=True),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column(
            "action",
            sa.Enum(
                "submitted",
                "approved",
                "rejected",
                "changes_requested",
                "suspended",
                "reinstated",
                "gi_approved",
                "gi_rejected",
                name="audit_action",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_user_id"], ["users.id"], name=op.f("fk_verification_audit_actor_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["gi_claim_id"],
            ["seller_gi_claims.id"],
            name=op.f("fk_verification_audit_gi_claim_id_seller_gi_claims"),
        ),
        sa.ForeignKeyConstraint(
            ["seller_id"], ["sellers.id"], name=op.f("fk_verification_audit_seller_id_sellers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_audit")),
    )
    with op.batch_alter_table("verification_audit", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_verification_audit_seller_id"), ["seller_id"], unique=False
        )
    _create_append_only_guard()

    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("member_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_listings_member_id"), ["member_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_listings_member_id_seller_members"),
            "seller_members",
            ["member_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("seller_gi_claims", schema=None) as batch_op:
        batch_op.add_column(sa.Column("certificate_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("status_reason", sa.Text(), nullable=False, server_default=sa.text("''"))
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_seller_gi_claims_certificate_id_seller_documents"),
            "seller_documents",
            ["certificate_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("sellers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_user_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("address", sa.Text(), nullable=False, server_default=sa.text("''"))
        )
        batch_op.add_column(
            sa.Column("pin_code", sa.String(length=6), nullable=False, server_default=sa.text("''"))
        )
        batch_op.add_column(
            sa.Column("phone", sa.String(length=20), nullable=False, server_default=sa.text("''"))
        )
        batch_op.add_column(
            sa.Column("email", sa.String(length=254), nullable=False, server_default=sa.text("''"))
        )
        batch_op.add_column(
            sa.Column("languages", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(sa.Column("pan", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("gstin", sa.String(length=15), nullable=True))
        batch_op.add_column(sa.Column("udyam_number", sa.String(length=19), nullable=True))
        batch_op.add_column(sa.Column("cin", sa.String(length=21), nullable=True))
        batch_op.add_column(sa.Column("nrlm_shg_id", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("pehchan_card", sa.String(length=25), nullable=True))
        batch_op.add_column(sa.Column("bank_account_holder", sa.String(length=140), nullable=True))
        batch_op.add_column(sa.Column("bank_ifsc", sa.String(length=11), nullable=True))
        batch_op.add_column(
            sa.Column("bank_account_encrypted", sa.String(length=200), nullable=True)
        )
        batch_op.add_column(sa.Column("bank_account_last4", sa.String(length=4), nullable=True))
        batch_op.add_column(
            sa.Column("status_reason", sa.Text(), nullable=False, server_default=sa.text("''"))
        )
        batch_op.add_column(sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_sellers_owner_user_id"), ["owner_user_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_sellers_owner_user_id_users"),
            "users",
            ["owner_user_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("sellers", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_sellers_owner_user_id_users"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_sellers_owner_user_id"), type_="unique")
        batch_op.drop_column("submitted_at")
        batch_op.drop_column("status_reason")
        batch_op.drop_column("bank_account_last4")
        batch_op.drop_column("bank_account_encrypted")
        batch_op.drop_column("bank_ifsc")
        batch_op.drop_column("bank_account_holder")
        batch_op.drop_column("pehchan_card")
        batch_op.drop_column("nrlm_shg_id")
        batch_op.drop_column("cin")
        batch_op.drop_column("udyam_number")
        batch_op.drop_column("gstin")
        batch_op.drop_column("pan")
        batch_op.drop_column("languages")
        batch_op.drop_column("email")
        batch_op.drop_column("phone")
        batch_op.drop_column("pin_code")
        batch_op.drop_column("address")
        batch_op.drop_column("owner_user_id")

    with op.batch_alter_table("seller_gi_claims", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_seller_gi_claims_certificate_id_seller_documents"), type_="foreignkey"
        )
        batch_op.drop_column("status_reason")
        batch_op.drop_column("certificate_id")

    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_listings_member_id_seller_members"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_listings_member_id"))
        batch_op.drop_column("member_id")

    _drop_append_only_guard()
    with op.batch_alter_table("verification_audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_verification_audit_seller_id"))

    op.drop_table("verification_audit")
    with op.batch_alter_table("seller_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_seller_members_seller_id"))

    op.drop_table("seller_members")
    with op.batch_alter_table("seller_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_seller_documents_seller_id"))

    op.drop_table("seller_documents")


# The audit log is append-only in the database too, not only in the ORM (app/sellers/models.py).
# SQLite triggers vanish if a later batch migration recreates the table: recreate them there.
def _create_append_only_guard() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION verification_audit_append_only() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'verification_audit is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER verification_audit_append_only BEFORE UPDATE OR DELETE "
            "ON verification_audit FOR EACH ROW "
            "EXECUTE FUNCTION verification_audit_append_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER verification_audit_no_{event.lower()} BEFORE {event} "
                "ON verification_audit BEGIN "
                "SELECT RAISE(ABORT, 'verification_audit is append-only'); END"
            )


def _drop_append_only_guard() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER verification_audit_append_only ON verification_audit")
        op.execute("DROP FUNCTION verification_audit_append_only()")
    else:
        for event in ("update", "delete"):
            op.execute(f"DROP TRIGGER verification_audit_no_{event}")
