"""Durable background jobs: a transactional outbox and the worker loop that drains it.

A job row is written in the same transaction as the change that causes it, so a job exists if and
only if the change committed. Workers claim due jobs (``FOR UPDATE SKIP LOCKED`` on PostgreSQL plus
a compare-and-set update that also serialises SQLite), run the handler and mark the job done in one
transaction, and retry failures with exponential backoff. A claimed job carries a lease; if its
worker dies, the job becomes claimable again when the lease expires. Handlers must be idempotent
and take ids, not objects.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Index, String, Text, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from app.config import Settings
from app.db import Base, str_enum, utcnow

logger = logging.getLogger(__name__)

# Handlers get the settings of the runner that runs them (no module-level settings).
JobHandler = Callable[[AsyncSession, dict[str, Any], Settings], Awaitable[None]]
_HANDLERS: dict[str, JobHandler] = {}


class JobStatus(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    DEAD = "dead"


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_due", "status", "run_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(80))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[JobStatus] = mapped_column(
        str_enum(JobStatus, "job_status"), default=JobStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=8)
    run_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None]
    locked_by: Mapped[str | None] = mapped_column(String(120))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


def job_handler(kind: str) -> Callable[[JobHandler], JobHandler]:
    """Register the handler for a job kind (one handler per kind)."""

    def register(handler: JobHandler) -> JobHandler:
        if kind in _HANDLERS and _HANDLERS[kind] is not handler:
            raise ValueError(f"a handler for job kind {kind!r} is already registered")
        _HANDLERS[kind] = handler
        return handler

    return register


def enqueue(
    session: AsyncSession,
    kind: str,
    payload: dict[str, Any],
    *,
    delay: timedelta | None = None,
    max_attempts: int = 0,
) -> Job:
    """Add a job to the caller's transaction; it runs only if that transaction commits.

    ``max_attempts`` 0 means the runner's limit (``ODOP_JOB_MAX_ATTEMPTS``); a job kind that must
    outlast long outages (search sync) sets its own.
    """
    if kind not in _HANDLERS:
        raise ValueError(f"no handler registered for job kind {kind!r}")
    job = Job(
        kind=kind,
        payload=payload,
        run_at=utcnow() + (delay or timedelta()),
        max_attempts=max_attempts,
    )
    session.add(job)
    session.info["jobs_enqueued"] = True
    return job


def backoff_delay(
    attempts: int, *, base_seconds: float = 2.0, cap_seconds: float = 3600
) -> timedelta:
    return timedelta(seconds=min(cap_seconds, base_seconds * 2 ** max(0, attempts - 1)))


class JobRunner:
    """Claims and runs due jobs. One per process; several processes may share a database."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        settings: Settings,
        *,
        lease: timedelta = timedelta(minutes=5),
        worker_id: str | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._settings = settings
        self._max_attempts = settings.job_max_attempts
        self._poll_seconds = settings.job_poll_seconds
        self._lease = lease
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Tell an idle loop that new jobs were committed, so it need not wait for the next poll."""
        self._wake.set()

    async def _claim(self) -> tuple[int, str, dict[str, Any]] | None:
        now = utcnow()
        due = (Job.run_at <= now) & (
            (Job.status == JobStatus.PENDING)
            | ((Job.status == JobStatus.RUNNING) & (Job.locked_until < now))
        )
        async with self._session_factory() as session, session.begin():
            candidate = (
                await session.execute(
                    select(Job.id, Job.kind, Job.payload, Job.attempts)
                    .where(due)
                    .order_by(Job.run_at, Job.id)
                    .limit(1)
                    .with_for_update(skip_locked=True)
                )
            ).first()
            if candidate is None:
                return None
            claimed = await session.execute(
                update(Job)
                .where(Job.id == candidate.id, Job.attempts == candidate.attempts, due)
                .values(
                    status=JobStatus.RUNNING,
                    attempts=Job.attempts + 1,
                    locked_by=self.worker_id,
                    locked_until=now + self._lease,
                )
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                return None
        return candidate.id, candidate.kind, candidate.payload

    async def run_one(self) -> bool:
        """Run one due job if there is one. Returns whether a job was claimed."""
        claimed = await self._claim()
        if claimed is None:
            return False
        job_id, kind, payload = claimed
        handler = _HANDLERS.get(kind)
        try:
            if handler is None:
                raise LookupError(f"no handler registered for job kind {kind!r}")
            async with self._session_factory() as session, session.begin():
                await handler(session, payload, self._settings)
                await session.execute(
                    update(Job)
                    .where(Job.id == job_id, Job.locked_by == self.worker_id)
                    .values(status=JobStatus.DONE, finished_at=utcnow(), locked_until=None)
                    .execution_options(synchronize_session=False)
                )
        except Exception as exc:
            logger.warning("job failed", extra={"job_id": job_id, "kind": kind}, exc_info=True)
            await self._record_failure(job_id, exc)
        return True

    async def _record_failure(self, job_id: int, exc: Exception) -> None:
        async with self._session_factory() as session, session.begin():
            job = await session.get(Job, job_id, with_for_update=True)
            if job is None or job.locked_by != self.worker_id:
                return
            job.last_error = f"{type(exc).__name__}: {exc}"[:4000]
            job.locked_until = None
            if job.attempts >= (job.max_attempts or self._max_attempts):
                job.status = JobStatus.DEAD
                job.finished_at = utcnow()
            else:
                job.status = JobStatus.PENDING
                job.run_at = utcnow() + backoff_delay(job.attempts)

    async def run_until_idle(self, *, limit: int = 10_000) -> int:
        """Run due jobs until none is left (tests, `odop worker --once`). Returns how many ran."""
        ran = 0
        while ran < limit and await self.run_one():
            ran += 1
        return ran

    async def run_forever(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                if await self.run_one():
                    continue
            except Exception:  # the database may be briefly unreachable; keep the loop alive
                logger.exception("job loop error")
            self._wake.clear()
            waiters = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())]
            await asyncio.wait(
                waiters, timeout=self._poll_seconds, return_when=asyncio.FIRST_COMPLETED
            )
            for waiter in waiters:
                waiter.cancel()
