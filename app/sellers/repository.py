"""All seller queries. Seller-scoped lookups take the owner and filter by it, so another
seller's id simply is not found."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, case, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.reference.models import District, GiTag, GiTagState, OdopProduct, State
from app.sellers.models import (
    ClaimStatus,
    Seller,
    SellerDocument,
    SellerGiClaim,
    SellerMember,
    SellerStatus,
    VerificationAudit,
)


async def demo_sellers(session: AsyncSession) -> list[Seller]:
    return list((await session.scalars(select(Seller).where(Seller.is_demo))).all())


async def gi_claim_keys(session: AsyncSession) -> set[tuple[int, int]]:
    rows = await session.execute(select(SellerGiClaim.seller_id, SellerGiClaim.gi_tag_id))
    return {(seller_id, gi_tag_id) for seller_id, gi_tag_id in rows.all()}


def _with_place(statement: Select[Seller]) -> Select[Seller]:
    return statement.options(selectinload(Seller.state), selectinload(Seller.district))


async def seller_of_user(session: AsyncSession, user_id: int) -> Seller | None:
    return await session.scalar(_with_place(select(Seller).where(Seller.owner_user_id == user_id)))


async def seller_by_id(session: AsyncSession, seller_id: int) -> Seller | None:
    return await session.scalar(_with_place(select(Seller).where(Seller.id == seller_id)))


async def slug_taken(session: AsyncSession, slug: str) -> bool:
    return (await session.scalar(select(Seller.id).where(Seller.slug == slug))) is not None


async def states(session: AsyncSession) -> Sequence[State]:
    return (await session.scalars(select(State).order_by(State.name))).all()


async def state(session: AsyncSession, state_id: int) -> State | None:
    return await session.get(State, state_id)


async def districts_of(session: AsyncSession, state_id: int) -> Sequence[District]:
    return (
        await session.scalars(
            select(District).where(District.state_id == state_id).order_by(District.name)
        )
    ).all()


async def district_in_state(
    session: AsyncSession, state_id: int, district_id: int
) -> District | None:
    return await session.scalar(
        select(District).where(District.id == district_id, District.state_id == state_id)
    )


async def gi_tags_for_place(session: AsyncSession, state_id: int, district_id: int) -> list[GiTag]:
    """GI tags of the seller's state, plus any GI named by an ODOP product of the district."""
    in_state = select(GiTagState.gi_tag_id).where(GiTagState.state_id == state_id)
    in_district = select(OdopProduct.gi_tag_id).where(
        OdopProduct.district_id == district_id, OdopProduct.gi_tag_id.is_not(None)
    )
    # The district's own GIs first: they are the ones its sellers most likely hold.
    rows = await session.scalars(
        select(GiTag)
        .where(GiTag.id.in_(in_state) | GiTag.id.in_(in_district))
        .order_by(case((GiTag.id.in_(in_district), 0), else_=1), GiTag.name)
    )
    return list(rows.all())


async def documents(session: AsyncSession, seller_id: int) -> list[SellerDocument]:
    rows = await session.scalars(
        select(SellerDocument)
        .where(SellerDocument.seller_id == seller_id)
        .order_by(SellerDocument.created_at, SellerDocument.id)
    )
    return list(rows.all())


async def document(
    session: AsyncSession, document_id: int, seller_id: int | None
) -> SellerDocument | None:
    """A document by id; with ``seller_id`` only if it belongs to that seller."""
    statement = select(SellerDocument).where(SellerDocument.id == document_id)
    if seller_id is not None:
        statement = statement.where(SellerDocument.seller_id == seller_id)
    return await session.scalar(statement)


async def claims(session: AsyncSession, seller_id: int) -> list[SellerGiClaim]:
    rows = await session.scalars(
        select(SellerGiClaim)
        .where(SellerGiClaim.seller_id == seller_id)
        .options(selectinload(SellerGiClaim.gi_tag), selectinload(SellerGiClaim.certificate))
        .order_by(SellerGiClaim.id)
    )
    return list(rows.all())


async def claim(
    session: AsyncSession, claim_id: int, seller_id: int | None = None
) -> SellerGiClaim | None:
    statement = (
        select(SellerGiClaim)
        .where(SellerGiClaim.id == claim_id)
        .options(selectinload(SellerGiClaim.gi_tag), selectinload(SellerGiClaim.certificate))
    )
    if seller_id is not None:
        statement = statement.where(SellerGiClaim.seller_id == seller_id)
    return await session.scalar(statement)


async def verified_gi_tags(session: AsyncSession, seller_id: int) -> list[GiTag]:
    rows = await session.scalars(
        select(GiTag)
        .join(SellerGiClaim, SellerGiClaim.gi_tag_id == GiTag.id)
        .where(SellerGiClaim.seller_id == seller_id, SellerGiClaim.status == ClaimStatus.VERIFIED)
        .order_by(GiTag.name)
    )
    return list(rows.all())


async def members(session: AsyncSession, seller_id: int) -> list[SellerMember]:
    rows = await session.scalars(
        select(SellerMember).where(SellerMember.seller_id == seller_id).order_by(SellerMember.name)
    )
    return list(rows.all())


async def member(session: AsyncSession, member_id: int, seller_id: int) -> SellerMember | None:
    return await session.scalar(
        select(SellerMember).where(
            SellerMember.id == member_id, SellerMember.seller_id == seller_id
        )
    )


async def sellers_in_review(session: AsyncSession) -> list[Seller]:
    rows = await session.scalars(
        _with_place(select(Seller).where(Seller.status == SellerStatus.SUBMITTED)).order_by(
            Seller.submitted_at, Seller.id
        )
    )
    return list(rows.all())


async def sellers_with_status(session: AsyncSession, status: SellerStatus) -> list[Seller]:
    rows = await session.scalars(
        _with_place(select(Seller).where(Seller.status == status, Seller.is_demo.is_(False)))
        .order_by(Seller.updated_at.desc())
        .limit(200)
    )
    return list(rows.all())


async def claims_in_review(session: AsyncSession) -> list[SellerGiClaim]:
    """GI claims waiting for a decision, of sellers that are verified or under review."""
    rows = await session.scalars(
        select(SellerGiClaim)
        .join(Seller, Seller.id == SellerGiClaim.seller_id)
        .where(
            SellerGiClaim.status == ClaimStatus.SUBMITTED,
            Seller.status.in_([SellerStatus.SUBMITTED, SellerStatus.VERIFIED]),
            Seller.is_demo.is_(False),
        )
        .options(selectinload(SellerGiClaim.gi_tag), selectinload(SellerGiClaim.certificate))
        .order_by(SellerGiClaim.created_at)
    )
    return list(rows.all())


async def audit_log(session: AsyncSession, seller_id: int) -> list[VerificationAudit]:
    rows = await session.scalars(
        select(VerificationAudit)
        .where(VerificationAudit.seller_id == seller_id)
        .order_by(VerificationAudit.created_at.desc(), VerificationAudit.id.desc())
    )
    return list(rows.all())


async def audit_log_with_actors(
    session: AsyncSession, seller_id: int
) -> list[tuple[VerificationAudit, str | None]]:
    """The audit log with who acted (for administrators)."""
    rows = await session.execute(
        select(VerificationAudit, User.email)
        .outerjoin(User, User.id == VerificationAudit.actor_user_id)
        .where(VerificationAudit.seller_id == seller_id)
        .order_by(VerificationAudit.created_at.desc(), VerificationAudit.id.desc())
    )
    return [(entry, email) for entry, email in rows.all()]
