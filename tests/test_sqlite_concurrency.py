"""SQLite under concurrent writers: requests and the in-process job runner at the same time.

The suite's usual fixtures run each test inside one connection's transaction, which never meets
a second writer. This test uses a real engine on a temporary database file, the way `make run`
does: several sellers toggle publish on their listings in parallel (each toggle enqueues a
search-sync job), signed-in visitors read pages (which touch their sessions), and the job runner
drains the queue all the while. Not one request may fail, and every job must complete.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.catalog.search import service as search_service
from app.config import Settings
from app.db import make_engine, make_session_factory
from app.jobs import Job, JobStatus
from app.main import create_app
from app.reference.loading import load_reference
from tests import factories
from tests.conftest import run_migrations
from tests.helpers import post_form, start_session

SELLERS = 6
TOGGLES = 20  # publish + unpublish per seller, all sellers in parallel
READERS = 4
READS = 15


@pytest.fixture
async def file_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    # Search backends are cached per process with what they know of their database: this
    # test's database is a new one, as on a first `make run`.
    search_service._backends.clear()
    search_service.results_cache.clear()
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'concurrency.sqlite3'}")
    async with engine.begin() as connection:
        await connection.run_sync(run_migrations)
    async with make_session_factory(engine)() as session, session.begin():
        await load_reference(session)
    yield engine
    await engine.dispose()
    search_service._backends.clear()
    search_service.results_cache.clear()


async def _client(app: object) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_parallel_writers_and_the_job_runner_never_see_a_locked_database(
    file_engine: AsyncEngine, tmp_path: Path
) -> None:
    settings = Settings(
        env="test",
        database_url=str(file_engine.url),
        media_dir=tmp_path / "media",
        mail_dir=tmp_path / "mail",
        run_jobs_in_process=False,  # driven below, concurrently with the requests
        page_cache_seconds=0,
        log_json=False,
        log_level="WARNING",
    )
    factory: async_sessionmaker[AsyncSession] = make_session_factory(file_engine)
    app = create_app(settings, session_factory=factory)

    sellers: list[tuple[httpx.AsyncClient, int]] = []
    readers: list[httpx.AsyncClient] = []
    async with factory() as db:
        for _ in range(SELLERS):
            owner = await factories.user(db)
            seller = await factories.seller(db, owner_user_id=owner.id)
            listing = await factories.listing(db, seller)
            client = await _client(app)
            await start_session(client, db, settings, owner)
            sellers.append((client, listing.id))
        for _ in range(READERS):
            client = await _client(app)
            await start_session(client, db, settings, await factories.user(db))
            readers.append(client)
        await db.commit()

    statuses: Counter[int] = Counter()
    errors: list[BaseException] = []

    async def toggle(client: httpx.AsyncClient, listing_id: int) -> None:
        for n in range(TOGGLES):
            action = "unpublish" if n % 2 == 0 else "publish"
            try:
                response = await post_form(client, f"/seller/listings/{listing_id}/{action}")
                statuses[response.status_code] += 1
            except Exception as exc:  # an error escaping the app is a failure too
                errors.append(exc)

    async def read(client: httpx.AsyncClient) -> None:
        for n in range(READS):
            try:
                path = ("/account", "/", "/search?q=glass")[n % 3]
                response = await client.get(path)
                statuses[response.status_code] += 1
            except Exception as exc:
                errors.append(exc)

    runner = app.state.job_runner
    stop = asyncio.Event()

    async def drain() -> None:
        while not stop.is_set():
            try:
                if not await runner.run_one():
                    await asyncio.sleep(0.005)
            except Exception as exc:
                errors.append(exc)

    worker = asyncio.create_task(drain())
    await asyncio.gather(
        *(toggle(client, listing_id) for client, listing_id in sellers),
        *(read(client) for client in readers),
    )
    stop.set()
    await worker
    await runner.run_until_idle()
    for client, _listing in sellers:
        await client.aclose()
    for client in readers:
        await client.aclose()

    assert errors == []
    assert not [status for status in statuses if status >= 500], statuses
    assert statuses[303] == SELLERS * TOGGLES  # every toggle redirected after its commit
    async with factory() as db:
        jobs = dict((await db.execute(select(Job.status, func.count()).group_by(Job.status))).all())
    assert jobs.get(JobStatus.DONE, 0) >= SELLERS * TOGGLES
    assert set(jobs) == {JobStatus.DONE}, jobs
