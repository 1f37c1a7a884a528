"""Public catalog reads run without BEGIN/COMMIT on PostgreSQL, and cannot write."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.db import WriteInReadTransaction, make_read_session_factory, make_session_factory
from app.reference.models import State

# now() is when the transaction began: the same for every statement of a transaction block,
# later for each statement when each is its own transaction.
NOW = text("SELECT now()")


async def _statement_has_its_own_transaction(session: AsyncSession) -> bool:
    names = (await session.scalars(select(State.name).order_by(State.id))).all()
    assert len(names) == 36
    first = await session.scalar(NOW)
    await asyncio.sleep(0.02)
    return bool(await session.scalar(NOW) != first)


async def test_read_sessions_skip_the_transaction_on_postgresql_and_refuse_writes(
    engine: AsyncEngine,
) -> None:
    if engine.dialect.name != "postgresql":
        async with make_read_session_factory(engine)() as session:  # an ordinary session
            assert len((await session.scalars(select(State.name))).all()) == 36
            await session.execute(text("UPDATE states SET name = name WHERE 1 = 0"))
        return
    async with make_read_session_factory(engine)() as session:
        assert await _statement_has_its_own_transaction(session)  # no BEGIN, no COMMIT
        with pytest.raises(WriteInReadTransaction):
            await session.execute(text("UPDATE states SET name = name WHERE false"))
    async with make_session_factory(engine)() as session:  # others keep their transaction
        assert not await _statement_has_its_own_transaction(session)
        await session.execute(text("UPDATE states SET name = name WHERE false"))
        await session.rollback()
    async with make_read_session_factory(engine)() as session:  # the pool's connections too
        assert await _statement_has_its_own_transaction(session)
