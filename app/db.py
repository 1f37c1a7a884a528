"""Database base class, engine and session factory, and the request-owned session."""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Protocol

from fastapi import Depends, Request
from sqlalchemy import DateTime, Dialect, Enum, MetaData, TypeDecorator, event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.pool import StaticPool

from app.errors import Conflict
from app.i18n import gettext as _

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def str_enum(cls: type[enum.Enum], name: str) -> Enum:
    """Store an enum by value as a short string with a CHECK constraint (portable)."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
    )


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the offset; we restore it)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use app.db.utcnow() or an aware datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime()}


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def _enable_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT and transactional DDL; take it over
    # (the recipe from SQLAlchemy's SQLite dialect documentation) and emit BEGIN ourselves.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def make_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    if url.startswith("sqlite"):
        kwargs: dict[str, Any] = {}
        if ":memory:" in url or url.endswith("://"):
            kwargs = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
        engine = create_async_engine(url, echo=echo, **kwargs)
        event.listen(engine.sync_engine, "connect", _enable_sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN"))
        return engine
    return create_async_engine(url, echo=echo, pool_size=10, max_overflow=10, pool_pre_ping=True)


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def get_db_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request owns the transaction: commit when the handler succeeds, roll back otherwise.

    Declared with ``scope="function"`` below so the commit happens before the response is sent;
    a redirect after a POST therefore always lands on committed data.
    """
    factory: async_sessionmaker[AsyncSession] = request.app.state.session_factory
    async with factory() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()
            if session.info.get("jobs_enqueued"):
                request.app.state.job_runner.wake()


SessionDep = Annotated[AsyncSession, Depends(get_db_session, scope="function")]


class Slugged(Protocol):
    slug: str


async def insert_with_unique_slug(
    session: AsyncSession,
    row: Slugged,
    base: str,
    taken: Callable[[AsyncSession, str], Awaitable[bool]],
) -> None:
    """Insert ``row`` under the first free slug of ``base``, ``base-2``, ...; two inserts racing
    for one slug are separated by the unique constraint."""
    for attempt in range(20):
        row.slug = base if attempt == 0 else f"{base}-{attempt + 1}"
        if attempt < 10 and await taken(session, row.slug):
            continue
        try:
            async with session.begin_nested():
                session.add(row)
                await session.flush()
        except IntegrityError:  # the savepoint's rollback has already expunged it
            continue
        return
    raise Conflict(_("Please try again."))
