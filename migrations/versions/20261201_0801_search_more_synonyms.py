"""Search: synonym groups for everyday Hindi product words and buyers' words for listed products.

"शहद" finds honey, "केला" bananas, "chappal" footwear: words buyers type that listings do not
use. Admins can edit or remove them like any other group.

Revision ID: 0801
Revises: 0602
Create Date: 2026-12-01 14:30:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0801"
down_revision: str | None = "0602"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEED = [
    (["honey", "shahad", "madhu", "शहद"], "Honey"),
    (["banana", "kela", "केला"], "Banana"),
    (["orange", "santra", "santara", "narangi", "संतरा"], "Orange"),
    (["coconut", "nariyal", "narial", "नारियल"], "Coconut"),
    (["litchi", "lichi", "lychee", "लीची"], "Litchi"),
    (["pineapple", "ananas", "अनानास"], "Pineapple"),
    (["dal", "daal", "dhal", "दाल"], "Pulses"),
    (["chappal", "footwear", "sandal", "jutti", "mojari", "चप्पल", "जूती"], "Footwear"),
    (["makhana", "foxnut", "मखाना"], "Makhana"),
    (["cardamom", "elaichi", "इलायची"], "Cardamom"),
    (["ginger", "adrak", "अदरक"], "Ginger"),
    (["garlic", "lahsun", "लहसुन"], "Garlic"),
    (["chilli", "chillies", "chilly", "mirch", "mirchi", "मिर्च"], "Chilli"),
    (["jewellery", "jewelry", "gahne", "गहने"], "Jewellery"),
    (["attar", "ittar", "itra", "perfume", "इत्र"], "Perfume"),
]


def _table() -> sa.TableClause:
    return sa.table(
        "search_synonyms",
        sa.column("id", sa.Integer),
        sa.column("terms", sa.JSON),
        sa.column("note", sa.String),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )


def upgrade() -> None:
    now = datetime.now(UTC)
    op.bulk_insert(
        _table(), [{"terms": terms, "note": note, "created_at": now} for terms, note in SEED]
    )


def downgrade() -> None:
    table = _table()
    bind = op.get_bind()
    seeded = [terms for terms, _ in SEED]
    for row_id, terms in bind.execute(sa.select(table.c.id, table.c.terms)).all():
        if terms in seeded:
            bind.execute(table.delete().where(table.c.id == row_id))
