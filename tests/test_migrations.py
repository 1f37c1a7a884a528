"""Alembic is the only way the schema is made: it must round-trip and equal the models."""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from app.all_models import Base
from app.db import make_engine
from tests.conftest import POSTGRES_ENV, asyncpg_url, run_migrations


@pytest.fixture(params=["sqlite", "postgresql"])
async def empty_database(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    if request.param == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite+aiosqlite:///{Path(folder) / 'm.sqlite3'}"
        return
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"{POSTGRES_ENV} is not set")
    base = asyncpg_url(url)
    plain = base.replace("postgresql+asyncpg://", "postgresql://")
    name = f"odop_mig_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(plain)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    yield f"{base.rpartition('/')[0]}/{name}"
    admin = await asyncpg.connect(plain)
    await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    await admin.close()


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


def _diff(connection: Connection) -> list[object]:
    return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))


async def test_upgrade_downgrade_upgrade_round_trip_and_models_match(empty_database: str) -> None:
    engine = make_engine(empty_database)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(run_migrations)
            assert await connection.run_sync(_tables) == set(Base.metadata.tables)
            assert await connection.run_sync(_diff) == []
        async with engine.begin() as connection:
            await connection.run_sync(lambda c: run_migrations(c, "base", down=True))
            assert await connection.run_sync(_tables) == set()
        async with engine.begin() as connection:
            await connection.run_sync(run_migrations)
            assert await connection.run_sync(_tables) == set(Base.metadata.tables)
    finally:
        await engine.dispose()


def test_migration_files_have_dated_slugged_names() -> None:
    versions = Path(__file__).resolve().parent.parent / "migrations" / "versions"
    names = [p.name for p in versions.glob("*.py")]
    assert names
    for name in names:
        date, rev, slug = name.split("_", 2)
        assert len(date) == 8 and date.isdigit(), name
        assert rev and slug.endswith(".py"), name
