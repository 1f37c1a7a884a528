"""Control characters never reach storage: every text column of every model is cleaned when it
is flushed (app/db.py), whatever the input was: an HTML form, the JSON API, a CSV import."""

from __future__ import annotations

import httpx
from sqlalchemy import Enum, String, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import all_models  # noqa: F401 - every model registered
from app.accounts import service as accounts_service
from app.config import Settings
from app.db import Base, strip_controls, strip_text_columns
from tests import factories
from tests.helpers import post_form, start_session

HOSTILE = "Glass\x02 vase\x03\x00 \x1b[31mred\u202eevil\x7f\x85"
CLEAN = "Glass vase [31mredevil"


def test_strip_controls_keeps_text_and_indic_joiners() -> None:
    assert strip_controls(HOSTILE) == CLEAN
    assert strip_controls("line one\nline two\ttab\r\n") == "line one\nline two\ttab\r\n"
    kshatriya = "क्\u200dष"  # a zero-width joiner shapes Devanagari conjuncts
    assert strip_controls(kshatriya) == kshatriya


def test_every_text_column_of_every_model_is_cleaned() -> None:
    checked = 0
    for mapper in Base.registry.mappers:
        text_columns = [
            attr.key
            for attr in mapper.column_attrs
            if isinstance(attr.columns[0].type, String)
            and not isinstance(attr.columns[0].type, Enum)
        ]
        if not text_columns:
            continue
        obj = mapper.class_manager.new_instance()
        for key in text_columns:
            setattr(obj, key, HOSTILE)
        strip_text_columns([obj])
        for key in text_columns:
            assert getattr(obj, key) == CLEAN, f"{mapper.class_.__name__}.{key}"
            checked += 1
    assert checked >= 50


async def test_a_listing_title_from_the_form_and_the_api_is_stored_clean(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> None:
    listings = Base.metadata.tables["listings"]  # by table name: the model may move modules
    owner = await factories.user(db)
    await factories.seller(db, owner_user_id=owner.id)
    _token, secret = await accounts_service.create_api_token(
        db, owner, name="t", scopes=accounts_service.scopes_for(owner)
    )
    await start_session(client, db, settings, owner)
    form = await post_form(
        client,
        "/seller/listings/new",
        {"title": f"Form {HOSTILE}", "price_inr": "500", "description": f"a\x02b\nc{HOSTILE}"},
    )
    assert form.status_code == 303, form.text
    api = await client.post(
        "/api/v1/seller/listings",
        json={"title": f"API {HOSTILE}", "price_paise": 50_000},
        headers={"authorization": f"Bearer {secret}"},
    )
    assert api.status_code == 201, api.text
    titles = set(await db.scalars(select(listings.c.title).where(listings.c.title.like("%Glass%"))))
    assert titles == {f"Form {CLEAN}", f"API {CLEAN}"}
    descriptions = set(
        await db.scalars(select(listings.c.description).where(listings.c.title.like("Form%")))
    )
    assert descriptions == {f"ab\nc{CLEAN}"}
