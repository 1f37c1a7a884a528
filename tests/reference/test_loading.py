from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.reference.loading import load_reference
from app.reference.models import District, GiTag, OdopProduct, OdopSource, State
from app.text import slugify


async def _count(db: AsyncSession, model: type[object], *where: object) -> int:
    return await db.scalar(select(func.count()).select_from(model).where(*where)) or 0  # type: ignore[arg-type]


async def test_reference_counts_match_the_sources(db: AsyncSession) -> None:
    assert await _count(db, State) == 36
    assert await _count(db, District, District.lgd_code.is_not(None)) == 739
    new_districts = await _count(db, District, District.lgd_code.is_(None))
    assert 25 <= new_districts <= 35  # ODOP districts created after the LGD export
    assert await _count(db, OdopProduct, OdopProduct.source == OdopSource.NATIONAL) == 787
    assert await _count(db, OdopProduct, OdopProduct.source == OdopSource.PMFME) == 224
    assert await _count(db, GiTag) == 696 - 24  # repeated registry entries are merged
    assert await _count(db, GiTag, GiTag.country != "India") == 39


async def test_loading_twice_changes_nothing(db: AsyncSession) -> None:
    report = await load_reference(db)
    assert report.changed == 0
    assert report.counts["odop_products"]["unchanged"] == 1011


async def test_district_names_repeat_across_states_and_are_addressed_within_their_state(
    db: AsyncSession,
) -> None:
    rows = (
        await db.execute(
            select(State.slug, District.slug)
            .join(District.state)
            .where(District.name == "Aurangabad")
        )
    ).all()
    assert sorted(rows) == [("bihar", "aurangabad"), ("maharashtra", "aurangabad")]


async def test_new_districts_are_kept_without_lgd_code(db: AsyncSession) -> None:
    district = await db.scalar(
        select(District)
        .join(District.state)
        .where(State.slug == "andhra-pradesh", District.slug == "anakapalli")
        .options(selectinload(District.odop_products))
    )
    assert district is not None and district.lgd_code is None
    assert [p.name for p in district.odop_products] == ["Etikoppaka Lacquerware/Wooden Toys"]


async def test_odop_products_link_to_the_gi_of_the_same_state(db: AsyncSession) -> None:
    product = await db.scalar(
        select(OdopProduct)
        .where(OdopProduct.name == "Firozabad Glass")
        .options(selectinload(OdopProduct.gi_tag))
    )
    assert product is not None and product.gi_tag is not None
    assert product.gi_tag.name == "Firozabad Glass"
    linked = await _count(db, OdopProduct, OdopProduct.gi_tag_id.is_not(None))
    assert linked >= 51


async def test_gi_tags_keep_all_their_states(db: AsyncSession) -> None:
    gi = await db.scalar(
        select(GiTag).where(GiTag.slug == "warli-painting").options(selectinload(GiTag.states))
    )
    assert gi is not None
    assert [s.name for s in gi.states][:2] == ["Maharashtra", "Gujarat"]


def test_slugs_are_stable_ascii() -> None:
    assert slugify("Uttar Pradesh") == "uttar-pradesh"
    assert slugify("24 Paraganas North") == "24-paraganas-north"
    assert slugify("Y.S.R.") == "y-s-r"
    assert slugify("Mizoram ") == "mizoram"
    assert slugify("बनारसी") == "item"
