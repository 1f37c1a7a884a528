"""Queries of buyer organisations, memberships and delivery addresses."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.procurement.organisations.models import DeliveryAddress, Membership, Organisation, Role
from app.reference.models import District, State


async def organisation_by_id(session: AsyncSession, organisation_id: int) -> Organisation | None:
    return await session.get(Organisation, organisation_id)


async def organisations(
    session: AsyncSession, ids: Sequence[int] | None = None, *, limit: int = 500
) -> list[Organisation]:
    query = select(Organisation).order_by(Organisation.id).limit(limit)
    if ids is not None:
        query = query.where(Organisation.id.in_(ids))
    return list(await session.scalars(query))


async def membership(
    session: AsyncSession, *, organisation_id: int, user_id: int, role: Role
) -> Membership | None:
    return await session.scalar(
        select(Membership).where(
            Membership.organisation_id == organisation_id,
            Membership.user_id == user_id,
            Membership.role == role,
        )
    )


async def memberships_of_user(session: AsyncSession, user_id: int) -> list[Membership]:
    return list(
        await session.scalars(
            select(Membership)
            .where(Membership.user_id == user_id)
            .order_by(Membership.organisation_id, Membership.role)
        )
    )


async def members(session: AsyncSession, organisation_id: int) -> list[tuple[Membership, User]]:
    rows = await session.execute(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.organisation_id == organisation_id)
        .order_by(User.display_name, User.id, Membership.role)
    )
    return [(m, u) for m, u in rows.all()]


async def delete_membership(session: AsyncSession, membership_id: int) -> None:
    await session.execute(delete(Membership).where(Membership.id == membership_id))


async def count_role(session: AsyncSession, organisation_id: int, role: Role) -> int:
    rows = await session.scalars(
        select(Membership.id).where(
            Membership.organisation_id == organisation_id, Membership.role == role
        )
    )
    return len(list(rows))


async def addresses(
    session: AsyncSession, organisation_id: int, consignee_user_id: int | None = None
) -> list[DeliveryAddress]:
    query = select(DeliveryAddress).where(DeliveryAddress.organisation_id == organisation_id)
    if consignee_user_id is not None:
        query = query.where(DeliveryAddress.consignee_user_id == consignee_user_id)
    return list(await session.scalars(query.order_by(DeliveryAddress.id)))


async def address_by_id(session: AsyncSession, address_id: int) -> DeliveryAddress | None:
    return await session.get(DeliveryAddress, address_id)


async def district_by_id(session: AsyncSession, district_id: int) -> District | None:
    return await session.get(District, district_id)


async def state_by_id(session: AsyncSession, state_id: int) -> State | None:
    return await session.get(State, state_id)


async def states(session: AsyncSession) -> list[State]:
    return list(await session.scalars(select(State).order_by(State.name)))


async def districts(session: AsyncSession) -> list[District]:
    return list(await session.scalars(select(District).order_by(District.name, District.id)))


async def users_by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, User]:
    if not ids:
        return {}
    return {u.id: u for u in await session.scalars(select(User).where(User.id.in_(ids)))}
