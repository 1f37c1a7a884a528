"""What the PO document, the seller's GST invoice against it and the audit export show."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.listings.sale_models import SaleUnit
from app.orders import repository as orders_repository
from app.procurement.audit.models import AuditRecord
from app.procurement.organisations import repository as org_repository
from app.procurement.organisations import service as organisations
from app.procurement.organisations.models import Organisation, Role
from app.procurement.purchase_orders import service
from app.procurement.purchase_orders.models import PurchaseOrder, PurchaseOrderLine
from app.reference.models import State
from app.sellers.models import Seller


@dataclass
class PODocument:
    po: PurchaseOrder
    lines: list[PurchaseOrderLine]
    organisation: Organisation
    seller: Seller
    seller_state: State
    place_of_supply: State
    buyer: User | None
    consignee: User | None
    units: dict[str, SaleUnit]

    @property
    def intra_state(self) -> bool:
        return self.po.intra_state

    @property
    def shipping_taxable(self) -> int:
        return self.po.taxable_paise - sum(line.taxable_paise for line in self.lines)


async def load(session: AsyncSession, po: PurchaseOrder) -> PODocument:
    organisation = await organisations.get_organisation(session, po.organisation_id)
    seller = await orders_repository.seller_with_state(session, po.seller_id)
    seller_state = await orders_repository.state_by_id(session, po.seller_state_id)
    place = await orders_repository.state_by_id(session, po.ship_state_id)
    assert seller is not None and seller_state is not None and place is not None
    people = await org_repository.users_by_ids(
        session, sorted({po.buyer_user_id, po.consignee_user_id})
    )
    units = {u.code: u for u in await orders_repository.units(session)}
    return PODocument(
        po,
        list(po.lines),
        organisation,
        seller,
        seller_state,
        place,
        people.get(po.buyer_user_id),
        people.get(po.consignee_user_id),
        units,
    )


async def trail_for_export(
    session: AsyncSession, user: User, number: str
) -> tuple[PurchaseOrder, service.Viewer]:
    """The PO whose trail the user may export: an org admin of its organisation or a platform
    admin. Others who may see the PO get 403; everyone else 404."""
    po, viewer = await service.visible_po(session, user, number)
    if not viewer.is_admin:
        await organisations.require_role(
            session, user_id=user.id, organisation_id=po.organisation_id, role=Role.ORG_ADMIN
        )
    return po, viewer


async def actor_names(session: AsyncSession, records: Sequence[AuditRecord]) -> dict[int, str]:
    ids = sorted({r.actor_user_id for r in records if r.actor_user_id is not None})
    return {
        uid: u.display_name for uid, u in (await org_repository.users_by_ids(session, ids)).items()
    }
