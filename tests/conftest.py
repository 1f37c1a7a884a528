"""Test fixtures. Each test runs in a transaction that is rolled back at the end.

Database tests run once on SQLite and once on PostgreSQL when ODOP_TEST_POSTGRES_URL is set;
each run creates its own throwaway database, migrated by Alembic, loaded with the reference data.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from alembic import command as alembic_command
from fastapi import FastAPI
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.accounts.models import User
from app.catalog.search import service as search_service
from app.cli import alembic_config
from app.config import Settings
from app.db import make_engine, make_session_factory
from app.job_handlers import register_all
from app.jobs import JobRunner
from app.main import create_app
from app.reference.loading import load_reference
from tests.shared_routes import share_route_contexts

POSTGRES_ENV = "ODOP_TEST_POSTGRES_URL"
share_route_contexts()  # see tests/shared_routes.py
register_all()  # job handlers and seller hooks, as every process that runs the app has them


def asyncpg_url(url: str) -> str:
    """Accept postgres://, postgresql:// or postgresql+asyncpg:// and return the asyncpg form."""
    scheme, _, rest = url.partition("://")
    if scheme not in {"postgres", "postgresql", "postgresql+asyncpg"}:
        raise ValueError(f"{POSTGRES_ENV} must be a PostgreSQL URL, got {scheme}://")
    return f"postgresql+asyncpg://{rest}"


def run_migrations(connection: Connection, revision: str = "head", *, down: bool = False) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    config.attributes["configure_logging"] = False
    if down:
        alembic_command.downgrade(config, revision)
    else:
        alembic_command.upgrade(config, revision)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last: their sync Playwright loop must not interleave with async tests."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """A fresh, empty database for this test session, dropped at the end."""
    if request.param == "sqlite":
        with tempfile.TemporaryDirectory(prefix="odop-test-") as folder:
            yield f"sqlite+aiosqlite:///{Path(folder) / 'test.sqlite3'}"
        return
    admin_url = os.environ.get(POSTGRES_ENV)
    if not admin_url:
        pytest.skip(f"{POSTGRES_ENV} is not set")
    base = asyncpg_url(admin_url)
    server, _, _ = base.rpartition("/")
    name = f"odop_test_{secrets.token_hex(4)}"
    plain = base.replace("postgresql+asyncpg://", "postgresql://")
    admin = await asyncpg.connect(plain)  # fails loudly when PostgreSQL is unreachable
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield f"{server}/{name}"
    finally:
        admin = await asyncpg.connect(plain)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(run_migrations)
    async with make_session_factory(engine)() as session, session.begin():
        await load_reference(session)
    yield engine
    await engine.dispose()


@pytest.fixture
async def session_factory(engine: AsyncEngine) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions bound to one connection whose outer transaction is rolled back after the test;
    a commit inside the app only releases a savepoint."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        yield async_sessionmaker(
            bind=connection,
            expire_on_commit=False,
            autoflush=False,
            join_transaction_mode="create_savepoint",
        )
        await transaction.rollback()


@pytest.fixture(scope="session")
def demo_media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A media folder for catalogs seeded with the demo: its photos (two JPEGs per ODOP product,
    about 15 ms each to draw) are drawn by the first seed of this process and kept by the rest."""
    return tmp_path_factory.mktemp("demo-media")


@pytest.fixture(autouse=True)
def fresh_search_backends() -> Iterator[None]:
    """Each test's transaction is rolled back, and the search tables a test created with it;
    a backend cached by an earlier test would still believe its index exists."""
    search_service._backends.clear()
    yield
    search_service._backends.clear()


@pytest.fixture
async def db(session_factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with session_factory() as session:
        yield session


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        env="test",
        database_url=database_url,
        media_dir=tmp_path / "media",
        mail_dir=tmp_path / "mail",
        sms_dir=tmp_path / "sms",
        run_jobs_in_process=False,
        page_cache_seconds=0,  # tests that change data between requests expect fresh pages
        log_json=False,
        log_level="WARNING",
    )


@pytest.fixture
def app(settings: Settings, session_factory: async_sessionmaker[AsyncSession]) -> FastAPI:
    return create_app(settings, session_factory=session_factory)


@pytest.fixture
def jobs(app: FastAPI) -> JobRunner:
    runner: JobRunner = app.state.job_runner
    return runner


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
def is_postgres(database_url: str) -> bool:
    return database_url.startswith("postgresql")


@pytest.fixture
def sign_in(
    client: httpx.AsyncClient, db: AsyncSession, settings: Settings
) -> Callable[[User], Awaitable[str]]:
    """``await sign_in(user)`` gives ``client`` a real session cookie for ``user`` (no password
    check, no throttles); returns the session token. Make users with ``tests.factories.user``."""
    from tests.helpers import start_session

    async def sign_in_as(user: User) -> str:
        return await start_session(client, db, settings, user)

    return sign_in_as
