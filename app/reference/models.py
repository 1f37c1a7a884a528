"""Reference data: states, districts, ODOP products, GI tags, categories."""

from __future__ import annotations

import enum

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, str_enum


class State(Base):
    __tablename__ = "states"

    id: Mapped[int] = mapped_column(primary_key=True)
    lgd_code: Mapped[int] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    name_hi: Mapped[str | None] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    is_union_territory: Mapped[bool] = mapped_column(default=False)

    districts: Mapped[list[District]] = relationship(back_populates="state", lazy="raise")


class District(Base):
    """An LGD district, or an ODOP district created after the LGD export (``lgd_code`` empty).

    District names repeat across states, so a district is addressed as (state, slug).
    """

    __tablename__ = "districts"
    __table_args__ = (UniqueConstraint("state_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    state_id: Mapped[int] = mapped_column(ForeignKey("states.id", ondelete="RESTRICT"), index=True)
    lgd_code: Mapped[int | None] = mapped_column(unique=True)
    census_2011_code: Mapped[int | None]
    name: Mapped[str] = mapped_column(String(120))
    name_hi: Mapped[str | None] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(120))
    # A short admin-written story of what the district makes (English and Hindi).
    story: Mapped[str] = mapped_column(Text, default="")
    story_hi: Mapped[str | None] = mapped_column(Text)

    state: Mapped[State] = relationship(back_populates="districts", lazy="raise")
    odop_products: Mapped[list[OdopProduct]] = relationship(
        back_populates="district", lazy="raise", order_by="OdopProduct.id"
    )


class GoodsClass(enum.StrEnum):
    HANDICRAFT = "handicraft"
    AGRICULTURAL = "agricultural"
    FOODSTUFF = "foodstuff"
    MANUFACTURED = "manufactured"
    NATURAL = "natural"


class Category(Base):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    name_hi: Mapped[str | None] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)


class GiTag(Base):
    """A registered Geographical Indication (GI Registry list)."""

    __tablename__ = "gi_tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_hi: Mapped[str | None] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    goods_class: Mapped[GoodsClass] = mapped_column(str_enum(GoodsClass, "goods_class"), index=True)
    goods_class_as_listed: Mapped[str] = mapped_column(String(120), default="")
    country: Mapped[str] = mapped_column(String(80), default="India")
    source_serial_no: Mapped[int | None]
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True)

    states: Mapped[list[State]] = relationship(
        secondary="gi_tag_states", lazy="raise", order_by="GiTagState.position"
    )


class GiTagState(Base):
    """The states a GI belongs to, the first listed (position 0) being its primary state."""

    __tablename__ = "gi_tag_states"

    gi_tag_id: Mapped[int] = mapped_column(
        ForeignKey("gi_tags.id", ondelete="CASCADE"), primary_key=True
    )
    state_id: Mapped[int] = mapped_column(
        ForeignKey("states.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(default=0)


class OdopSource(enum.StrEnum):
    NATIONAL = "national"
    PMFME = "pmfme"


class OdopProduct(Base):
    """A district's One District One Product entry, from the national or the PM-FME list."""

    __tablename__ = "odop_products"
    __table_args__ = (UniqueConstraint("district_id", "source", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(
        ForeignKey("districts.id", ondelete="RESTRICT"), index=True
    )
    source: Mapped[OdopSource] = mapped_column(str_enum(OdopSource, "odop_source"))
    name: Mapped[str] = mapped_column(String(200))
    name_hi: Mapped[str | None] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(200))
    district_name_as_listed: Mapped[str] = mapped_column(String(120))
    source_priority: Mapped[str | None] = mapped_column(String(20))
    story: Mapped[str] = mapped_column(Text, default="")
    story_hi: Mapped[str | None] = mapped_column(Text)
    gi_tag_id: Mapped[int | None] = mapped_column(ForeignKey("gi_tags.id"), index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True)

    district: Mapped[District] = relationship(back_populates="odop_products", lazy="raise")
    gi_tag: Mapped[GiTag | None] = relationship(lazy="raise")
    category: Mapped[Category | None] = relationship(lazy="raise")
