"""Reference data queries used while loading it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

ModelT = TypeVar("ModelT")


async def all_rows(session: AsyncSession, model: type[ModelT]) -> Sequence[ModelT]:
    return (await session.scalars(select(model))).all()


async def count_rows(session: AsyncSession, model: type[Any]) -> int:
    return (await session.scalar(select(func.count()).select_from(model))) or 0
