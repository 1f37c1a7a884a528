"""Search: admin-editable synonym groups, seeded with common Indian name variants.

The search indexes themselves are derived data that the search backend builds and swaps
(`odop search setup` / `odop search reindex`); only the synonyms are schema-managed.

Revision ID: 0601
Revises: 0401
Create Date: 2026-11-28 23:55:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0601"
down_revision: str | None = "0401"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEED = [
    (
        [
            "banaras",
            "banarasi",
            "benarasi",
            "benares",
            "varanasi",
            "बनारस",
            "बनारसी",
            "वाराणसी",
        ],
        "Varanasi",
    ),
    (["kanchipuram", "kanjeevaram", "kancheepuram", "kanjivaram", "कांचीपुरम"], "Kanchipuram silk"),
    (["saree", "sari", "sarees", "saris", "साड़ी", "साडी"], "Saree"),
    (["firozabad", "फिरोजाबाद", "फ़िरोज़ाबाद"], "Firozabad"),
    (["glass", "kanch", "कांच", "काँच"], "Glass"),
    (["toy", "toys", "khilona", "खिलौना", "खिलौने"], "Toys"),
    (["channapatna", "चन्नपटना"], "Channapatna"),
    (["silk", "resham", "रेशम", "रेशमी"], "Silk"),
    (["handloom", "hathkargha", "हथकरघा"], "Handloom"),
    (["pottery", "terracotta", "mitti", "मिट्टी"], "Pottery"),
    (["brass", "peetal", "पीतल"], "Brass"),
    (["carpet", "rug", "dari", "durrie", "कालीन", "दरी"], "Carpets"),
    (["pashmina", "cashmere", "पश्मीना"], "Pashmina"),
    (["mango", "aam", "आम"], "Mango"),
    (["tea", "chai", "चाय"], "Tea"),
    (["pickle", "achar", "अचार"], "Pickles"),
    (["turmeric", "haldi", "हल्दी"], "Turmeric"),
    (["jaggery", "gur", "गुड़"], "Jaggery"),
    (["lucknow", "lakhnau", "लखनऊ"], "Lucknow"),
    (["chikankari", "chikan", "चिकनकारी"], "Chikankari"),
    (["madhubani", "mithila", "मधुबनी"], "Madhubani painting"),
    (["bengaluru", "bangalore", "बेंगलुरु"], "Bengaluru"),
    (["mysuru", "mysore", "मैसूर"], "Mysuru"),
    (["odisha", "orissa", "ओडिशा"], "Odisha"),
    (["puducherry", "pondicherry", "पुडुचेरी"], "Puducherry"),
]


def upgrade() -> None:
    table = op.create_table(
        "search_synonyms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_synonyms")),
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        table, [{"terms": terms, "note": note, "created_at": now} for terms, note in SEED]
    )


def downgrade() -> None:
    op.drop_table("search_synonyms")
