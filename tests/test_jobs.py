from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.config import Settings
from app.db import make_session_factory, utcnow
from app.jobs import Job, JobRunner, JobStatus, backoff_delay, enqueue, job_handler

CALLS: list[dict[str, Any]] = []
FAILURES_LEFT: dict[str, int] = {}


@job_handler("test.record")
async def record(session: AsyncSession, payload: dict[str, Any], settings: Settings) -> None:
    CALLS.append(payload)


@job_handler("test.flaky")
async def flaky(session: AsyncSession, payload: dict[str, Any], settings: Settings) -> None:
    key = payload["key"]
    if FAILURES_LEFT.get(key, 0) > 0:
        FAILURES_LEFT[key] -= 1
        raise ConnectionError("search server unreachable")
    CALLS.append(payload)


@job_handler("test.slow")
async def slow(session: AsyncSession, payload: dict[str, Any], settings: Settings) -> None:
    await asyncio.sleep(0.01)
    CALLS.append(payload)


@job_handler("test.settings")
async def record_settings(
    session: AsyncSession, payload: dict[str, Any], settings: Settings
) -> None:
    CALLS.append({"base_url": settings.base_url})


SIGNALLED = asyncio.Event()


@job_handler("test.signal")
async def signal(session: AsyncSession, payload: dict[str, Any], settings: Settings) -> None:
    CALLS.append(payload)
    SIGNALLED.set()


@pytest.fixture(autouse=True)
def _reset() -> None:
    CALLS.clear()
    FAILURES_LEFT.clear()


async def _job(session: AsyncSession, job_id: int) -> Job:
    session.expire_all()
    job = await session.get(Job, job_id)
    assert job is not None
    return job


async def test_a_job_exists_only_if_its_transaction_commits(
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    async with session_factory() as session:
        enqueue(session, "test.record", {"id": 1})
        await session.rollback()
    runner = JobRunner(session_factory, settings)
    assert await runner.run_until_idle() == 0
    async with session_factory() as session:
        enqueue(session, "test.record", {"id": 2})
        await session.commit()
    assert await runner.run_until_idle() == 1
    assert CALLS == [{"id": 2}]


async def test_failures_retry_with_backoff_then_succeed(
    session_factory: async_sessionmaker[AsyncSession], db: AsyncSession, settings: Settings
) -> None:
    FAILURES_LEFT["a"] = 1
    job = enqueue(db, "test.flaky", {"key": "a"})
    await db.commit()
    runner = JobRunner(session_factory, settings)
    assert await runner.run_until_idle() == 1
    failed = await _job(db, job.id)
    assert failed.status == JobStatus.PENDING
    assert failed.attempts == 1
    assert "search server unreachable" in (failed.last_error or "")
    assert failed.run_at > utcnow() + timedelta(seconds=1)
    assert await runner.run_until_idle() == 0  # not due yet
    failed.run_at = utcnow()
    await db.commit()
    assert await runner.run_until_idle() == 1
    assert (await _job(db, job.id)).status == JobStatus.DONE
    assert CALLS == [{"key": "a"}]


async def test_a_job_that_keeps_failing_is_marked_dead(
    session_factory: async_sessionmaker[AsyncSession], db: AsyncSession, settings: Settings
) -> None:
    FAILURES_LEFT["b"] = 99
    job = enqueue(db, "test.flaky", {"key": "b"}, max_attempts=2)
    await db.commit()
    runner = JobRunner(session_factory, settings)
    await runner.run_until_idle()
    stored = await _job(db, job.id)
    stored.run_at = utcnow()
    await db.commit()
    await runner.run_until_idle()
    stored = await _job(db, job.id)
    assert stored.status == JobStatus.DEAD
    assert stored.attempts == 2


async def test_a_job_without_its_own_limit_gives_up_at_the_runners_limit(
    session_factory: async_sessionmaker[AsyncSession], db: AsyncSession, settings: Settings
) -> None:
    FAILURES_LEFT["c"] = 99
    job = enqueue(db, "test.flaky", {"key": "c"})
    await db.commit()
    runner = JobRunner(session_factory, settings.model_copy(update={"job_max_attempts": 1}))
    await runner.run_until_idle()
    stored = await _job(db, job.id)
    assert (stored.status, stored.attempts) == (JobStatus.DEAD, 1)


async def test_a_job_whose_worker_died_is_claimed_again_after_its_lease(
    session_factory: async_sessionmaker[AsyncSession], db: AsyncSession, settings: Settings
) -> None:
    job = enqueue(db, "test.record", {"id": 7})
    await db.commit()
    crashed = JobRunner(session_factory, settings, lease=timedelta(seconds=-1))
    assert await crashed._claim() is not None  # claimed, then the worker "crashes"
    survivor = JobRunner(session_factory, settings)
    assert await survivor.run_until_idle() == 1
    assert (await _job(db, job.id)).status == JobStatus.DONE
    assert CALLS == [{"id": 7}]


async def test_a_live_lease_is_not_stolen(
    session_factory: async_sessionmaker[AsyncSession], db: AsyncSession, settings: Settings
) -> None:
    enqueue(db, "test.record", {"id": 8})
    await db.commit()
    assert await JobRunner(session_factory, settings)._claim() is not None
    assert await JobRunner(session_factory, settings).run_until_idle() == 0


async def test_handlers_get_the_settings_of_the_runner_that_runs_them(
    session_factory: async_sessionmaker[AsyncSession], db: AsyncSession, settings: Settings
) -> None:
    enqueue(db, "test.settings", {})
    await db.commit()
    own = settings.model_copy(update={"base_url": "https://worker.example"})
    await JobRunner(session_factory, own).run_until_idle()
    assert CALLS == [{"base_url": "https://worker.example"}]


def test_backoff_grows_and_is_capped() -> None:
    delays = [backoff_delay(n).total_seconds() for n in range(1, 15)]
    assert delays[:3] == [2, 4, 8]
    assert delays == sorted(delays)
    assert delays[-1] == 3600


def test_enqueueing_an_unknown_kind_fails_fast(db: AsyncSession) -> None:
    with pytest.raises(ValueError, match="no handler"):
        enqueue(db, "test.nope", {})


async def test_concurrent_workers_never_run_a_job_twice(
    engine: AsyncEngine, settings: Settings
) -> None:
    """Real commits on separate connections: four workers race over the same jobs."""
    factory = make_session_factory(engine)
    async with factory() as session, session.begin():
        for n in range(60):
            enqueue(session, "test.slow", {"n": n})
    runners = [JobRunner(factory, settings, worker_id=f"w{i}") for i in range(4)]
    try:
        if engine.dialect.name == "sqlite":
            for runner in runners:  # SQLite serialises writers; interleave rather than race
                await runner.run_one()
            await runners[0].run_until_idle()
        else:
            await asyncio.gather(*(runner.run_until_idle() for runner in runners))
        assert sorted(call["n"] for call in CALLS) == list(range(60))
        async with factory() as session:
            statuses = (
                await session.scalars(select(Job.status).where(Job.kind == "test.slow"))
            ).all()
        assert set(statuses) == {JobStatus.DONE}
    finally:
        async with factory() as session, session.begin():
            await session.execute(delete(Job).where(Job.kind == "test.slow"))


class ObservedRunner(JobRunner):
    """Tells the test when the loop found nothing to do and is about to wait."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.went_idle = asyncio.Event()

    async def run_one(self) -> bool:
        ran = await super().run_one()
        if not ran:
            self.went_idle.set()
        return ran


async def test_the_in_process_loop_runs_committed_jobs_promptly(
    engine: AsyncEngine, settings: Settings
) -> None:
    session_factory = make_session_factory(engine)  # real commits: the loop runs concurrently
    runner = ObservedRunner(session_factory, settings.model_copy(update={"job_poll_seconds": 120}))
    stop = asyncio.Event()
    SIGNALLED.clear()
    loop = asyncio.create_task(runner.run_forever(stop))
    try:
        # Timeouts are generous for a loaded machine, yet far below the poll interval.
        await asyncio.wait_for(runner.went_idle.wait(), timeout=30)  # now waiting for a wake-up
        async with session_factory() as session:
            job = enqueue(session, "test.signal", {"id": 99})
            await session.commit()
        runner.wake()
        await asyncio.wait_for(SIGNALLED.wait(), timeout=30)
        assert CALLS == [{"id": 99}]
        async with session_factory() as session:
            ran = await session.get(Job, job.id)
            assert ran is not None and ran.attempts == 1
            assert ran.locked_by == runner.worker_id  # this loop claimed it, not another path
    finally:
        stop.set()
        await asyncio.wait_for(loop, timeout=30)
        async with session_factory() as session, session.begin():
            await session.execute(delete(Job).where(Job.kind == "test.signal"))
