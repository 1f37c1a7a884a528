"""Database base class, engine and session factory, and the request-owned session."""

from __future__ import annotations

import enum
import re
from collections import namedtuple
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Protocol

from fastapi import Depends, Request
from sqlalchemy import (
    DateTime,
    Dialect,
    Enum,
    MetaData,
    Select,
    String,
    TypeDecorator,
    event,
    inspect,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.pool import StaticPool

from app.errors import Conflict, ValidationFailed
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


# Control characters (C0 and C1 but tab, line feed and carriage return) and the bidirectional
# override/isolate marks that make text read other than it is stored. Zero-width joiners stay:
# Devanagari and other Indic scripts need them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def strip_controls(value: str) -> str:
    return _CONTROL.sub("", value)


def strip_text_columns(objects: Iterable[object]) -> None:
    """Every text column of every model, whatever the input (form, JSON API, CSV import, CLI),
    is stored without control characters: they would otherwise reach pages, feeds, emails and
    the search index (whose highlighter marks matches with \\x02 and \\x03). Only loaded
    values are looked at, so nothing is fetched."""
    for obj in objects:
        state = inspect(obj)
        loaded = state.dict
        for column_attr in state.mapper.column_attrs:
            value = loaded.get(column_attr.key)
            if isinstance(value, str) and isinstance(column_attr.columns[0].type, String):
                cleaned = strip_controls(value)
                if cleaned != value:
                    setattr(obj, column_attr.key, cleaned)


def _strip_controls_before_flush(session: Session, _context: Any, _instances: Any) -> None:
    strip_text_columns([*session.new, *session.dirty])


event.listen(Session, "before_flush", _strip_controls_before_flush)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime()}


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


# SQLite allows one writer at a time. A transaction that reads first and writes later (BEGIN
# DEFERRED) cannot wait for the lock: if another connection committed since its first read, the
# write fails at once with "database is locked" whatever the busy timeout. So every transaction
# that may write starts with BEGIN IMMEDIATE and takes the write lock up front, waiting up to
# the busy timeout for it; only transactions known to read (safe-method requests) start
# DEFERRED and run beside the writer, as WAL allows. A statement that writes inside such a read
# transaction is refused loudly (WriteInReadTransaction); call ``begin_write`` first.
# Under a burst of checkouts a waiter for the write lock can be passed over for seconds.
SQLITE_BUSY_TIMEOUT_MS = 30_000
_read_only: ContextVar[bool] = ContextVar("odop_read_only_transaction", default=False)
_WRITE_STATEMENT = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b", re.I)


class WriteInReadTransaction(RuntimeError):
    """A statement that writes ran in a transaction begun for reading (a GET request on SQLite)."""


def _enable_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT and transactional DDL; take it over
    # (the recipe from SQLAlchemy's SQLite dialect documentation) and emit BEGIN ourselves.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN" if _read_only.get() else "BEGIN IMMEDIATE")


def _refuse_writes_in_read_transactions(
    _connection: Any, _cursor: Any, statement: str, *_args: Any
) -> None:
    if _read_only.get() and _WRITE_STATEMENT.match(statement):
        raise WriteInReadTransaction(
            "a write in a read-only (GET) transaction; call app.db.begin_write(session) before "
            f"the first query of a request that writes: {statement[:80]}"
        )


def read_only_transactions(read_only: bool) -> Any:
    """Mark the transactions begun from now on in this context as read-only (or not); returns
    the token for ``reset_read_only``."""
    return _read_only.set(read_only)


def reset_read_only(token: Any) -> None:
    try:
        _read_only.reset(token)
    except ValueError:  # reset from another context (a dependency's teardown): just clear it
        _read_only.set(False)


async def begin_write(session: AsyncSession) -> None:
    """In a request begun read-only (GET, HEAD), switch to a writing transaction: the read
    transaction is ended (it must hold no pending changes) and the next statement begins with
    the write lock. Call it before changing anything; a no-op where writes are already allowed."""
    if not _read_only.get() or session.get_bind().dialect.name != "sqlite":
        return
    if session.new or session.dirty or session.deleted:
        raise WriteInReadTransaction("begin_write() must come before the first change")
    _read_only.set(False)
    if session.in_transaction():
        await session.commit()


def _refuse_nul_characters(
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> None:
    """PostgreSQL text cannot hold U+0000: a NUL anywhere in typed input (a form field, a query
    parameter, a JSON string) would be a driver error, so it is a 422 here, for every query and
    on both databases, whatever the input's way in."""
    pending = [parameters]  # a row, a list of rows, or a dict; values may be lists (ARRAY)
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise ValidationFailed(_("Text cannot contain the NUL character (U+0000)."))
        elif isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)


event.listen(Engine, "before_cursor_execute", _refuse_nul_characters)


def make_engine(url: str, *, echo: bool = False, pool_size: int = 10) -> AsyncEngine:
    """The engine; on PostgreSQL a pool of ``pool_size`` connections (half as many more open
    under a burst).

    No pre-ping: it costs a round trip on every checkout. A connection the server dropped fails
    its statement once; SQLAlchemy then discards it (and, on a disconnect, the rest of the pool),
    and connections are replaced every half hour anyway."""
    if url.startswith("sqlite"):
        kwargs: dict[str, Any] = {}
        if ":memory:" in url or url.endswith("://"):
            kwargs = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
        engine = create_async_engine(url, echo=echo, **kwargs)
        event.listen(engine.sync_engine, "connect", _enable_sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        event.listen(
            engine.sync_engine, "before_cursor_execute", _refuse_writes_in_read_transactions
        )
        return engine
    return create_async_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=pool_size // 2,
        pool_recycle=1800,
        # A scan that stops early (search counts facets over the first 1,000 matches) starts
        # at the table's first page, not where another scan of a big table last was: otherwise
        # the same uncached search counted different rows from one run to the next.
        connect_args={"server_settings": {"synchronize_seqscans": "off"}},
    )


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


READ_ONLY_OPTION = "odop_read_only"


def _refuse_writes_without_transaction(
    connection: Any, _cursor: Any, statement: str, *_args: Any
) -> None:
    if connection.get_execution_options().get(READ_ONLY_OPTION) and _WRITE_STATEMENT.match(
        statement
    ):
        raise WriteInReadTransaction(
            f"a write through a read-only session (public catalog pages): {statement[:80]}"
        )


def make_read_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for the public catalog's GET pages and API, which only read.

    On PostgreSQL their connections run without a transaction (AUTOCOMMIT): no BEGIN and no
    COMMIT, two of a product page's five round trips. Each statement sees what was committed
    when it started, which is all a page of listings needs. A statement that writes is refused
    (``WriteInReadTransaction``), since nothing would make it atomic with the next. SQLite keeps
    its ordinary read transaction (BEGIN DEFERRED costs no round trip there)."""
    if engine.dialect.name != "postgresql":
        return make_session_factory(engine)
    if not event.contains(
        engine.sync_engine, "before_cursor_execute", _refuse_writes_without_transaction
    ):
        event.listen(
            engine.sync_engine, "before_cursor_execute", _refuse_writes_without_transaction
        )
    return make_session_factory(
        engine.execution_options(isolation_level="AUTOCOMMIT", **{READ_ONLY_OPTION: True})
    )


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_db_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request owns the transaction: commit when the handler succeeds, roll back otherwise.

    Declared with ``scope="function"`` below so the commit happens before the response is sent;
    a redirect after a POST therefore always lands on committed data.
    """
    factory: async_sessionmaker[AsyncSession] = request.app.state.session_factory
    read_only = read_only_transactions(request.method in SAFE_METHODS)
    try:
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
    finally:
        reset_read_only(read_only)


SessionDep = Annotated[AsyncSession, Depends(get_db_session, scope="function")]


async def get_read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session for a request that only reads (``make_read_session_factory``): nothing to
    commit. Where the app was given one session factory (the tests' shared connection), that
    one."""
    state = request.app.state
    factory: async_sessionmaker[AsyncSession] = (
        getattr(state, "read_session_factory", None) or state.session_factory
    )
    read_only = read_only_transactions(True)
    try:
        async with factory() as session:
            yield session
    finally:
        reset_read_only(read_only)


ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session, scope="function")]


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


class _DriverPlan:
    """A SELECT compiled for asyncpg: its SQL, how to bind a call's parameters, and how to turn
    each record into a named row the way SQLAlchemy's result processing would."""

    def __init__(self, statement: Select[*tuple[Any, ...]], dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        binds = compiled.binds
        self.sql = compiled.string
        self.names = tuple(compiled.positiontup or ())
        self.bind_processors = {
            name: bind.type.dialect_impl(dialect).bind_processor(dialect)
            for name, bind in binds.items()
        }
        self.fixed = {
            name: self._bound(name, bind.effective_value)
            for name, bind in binds.items()
            if bind.value is not None or bind.callable is not None
        }
        columns = statement.selected_columns
        self.row: Any = namedtuple("Row", columns.keys())  # type: ignore[misc]
        processors = (
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        )
        self.converted = [(index, process) for index, process in enumerate(processors) if process]

    def _bound(self, name: str, value: Any) -> Any:
        process = self.bind_processors[name]
        return process(value) if process is not None and value is not None else value

    def arguments(self, params: dict[str, Any]) -> list[Any]:
        return [
            self._bound(name, params[name]) if name in params else self.fixed[name]
            for name in self.names
        ]

    def rows(self, records: list[Any]) -> list[Any]:
        make = self.row._make
        if not self.converted:
            return [make(record) for record in records]
        rows = []
        for record in records:
            values = list(record)
            for index, process in self.converted:
                if values[index] is not None:
                    values[index] = process(values[index])
            rows.append(make(values))
        return rows


_DRIVER_CONNECTION = "odop_driver_connection"


async def _connection_of(session: AsyncSession) -> tuple[AsyncConnection, Any]:
    """The session's connection and, on asyncpg, its pooled DBAPI connection; remembered for the
    session's current transaction (asking the session each time costs a greenlet switch)."""
    transaction = session.sync_session.get_transaction()
    known = session.info.get(_DRIVER_CONNECTION)
    if known is not None and transaction is not None and known[0] is transaction:
        return known[1], known[2]
    connection = await session.connection()
    raw = None
    if connection.dialect.driver == "asyncpg":
        raw = await connection.get_raw_connection()
    session.info[_DRIVER_CONNECTION] = (session.sync_session.get_transaction(), connection, raw)
    return connection, raw


class PreparedSelect:
    """A Core SELECT built once and run with bound parameters, for hot public read paths.

    Through SQLAlchemy every execution pays for the statement's cache key, an execution context
    and result metadata: about 0.2 ms of CPU per statement, more than asyncpg needs to run it.
    On PostgreSQL this compiles the statement once and runs it on the session's asyncpg
    connection (asyncpg prepares it once per connection), converting the values as SQLAlchemy
    would; the engine's ``before_cursor_execute`` listeners still see every statement (the NUL
    guard, the read-only guard, statement counts in tests). A connection that an error closed is
    invalidated, as SQLAlchemy does on a disconnect. Elsewhere it runs through SQLAlchemy.

    It is meant for read sessions (``ReadSessionDep``): in a session whose transaction has not
    yet sent its BEGIN (SQLAlchemy sends it with the first statement it runs), the statement runs
    outside that transaction and sees what was committed when it started."""

    def __init__(self, statement: Select[*tuple[Any, ...]]) -> None:
        if any(bind.expanding for bind in statement.compile().binds.values()):
            raise ValueError("PreparedSelect takes no IN list (expanding) parameters")
        self.statement = statement
        self._plans: dict[Dialect, _DriverPlan] = {}

    async def all(self, session: AsyncSession, **params: Any) -> list[Any]:
        connection, raw = await _connection_of(session)
        dialect = connection.dialect
        if raw is None:
            return list((await connection.execute(self.statement, params)).all())
        plan = self._plans.get(dialect)
        if plan is None:
            plan = self._plans[dialect] = _DriverPlan(self.statement, dialect)
        sql, arguments = plan.sql, tuple(plan.arguments(params))
        sync_connection = connection.sync_connection
        for listener in sync_connection.dispatch.before_cursor_execute:  # type: ignore[union-attr]
            sql, arguments = listener(sync_connection, None, sql, arguments, None, False)
        try:
            records = await raw.driver_connection.fetch(sql, *arguments)
        except BaseException:
            if raw.driver_connection.is_closed():
                await connection.invalidate()
            raise
        return plan.rows(records)

    async def first(self, session: AsyncSession, **params: Any) -> Any | None:
        rows = await self.all(session, **params)
        return rows[0] if rows else None
