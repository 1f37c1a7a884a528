"""Seller test helpers: identifiers that pass validation, and an onboarded seller."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role, User
from app.config import Settings
from app.sellers import identifiers as ids
from app.sellers import repository, service
from app.sellers.models import Seller, SellerStatus, SellerType
from app.storage import LocalStorage
from tests import factories
from tests.sellers import files

FPO_PAN = "AAACF1234K"


def gstin_for(state_lgd_code: int, pan: str) -> str:
    body = f"{sorted(ids.gst_state_codes(state_lgd_code))[0]}{pan}1Z"
    return body + ids.gstin_check_character(body)


async def onboarded_seller(
    db: AsyncSession,
    settings: Settings,
    *,
    seller_type: SellerType = SellerType.FPO,
    submit: bool = True,
    owner: User | None = None,
) -> tuple[User, Seller]:
    """A seller who went through every required step (and submitted, unless told not to)."""
    owner = owner or await factories.user(db, role=Role.BUYER)
    place = await factories.district(db)
    seller = await service.save_profile(
        db,
        owner,
        service.ProfileInput(
            legal_name="Firozabad Glass Producer Company Ltd",
            display_name="Firozabad Glass FPO",
            seller_type=seller_type.value,
            state_id=place.state_id,
            district_id=place.id,
            address="12 Kanch Mandi, Firozabad",
            pin_code="283203",
            phone="9876543210",
            email=str(owner.email),
            languages=["Hindi"],
        ),
    )
    pan = FPO_PAN if seller_type != SellerType.ARTISAN else "ABCPE1234F"
    await service.save_identifiers(
        db,
        seller,
        service.IdentifiersInput(
            pan=pan,
            gstin=gstin_for(seller.state.lgd_code, pan),
            udyam_number="UDYAM-UP-09-0012345",
            cin="U01400UP2019PTC123456",
            nrlm_shg_id="1234567",
            pehchan_card="",
        ),
    )
    await service.save_bank(
        db,
        settings,
        seller,
        holder=seller.legal_name,
        ifsc="SBIN0001234",
        account="123456789012",
        account_again="123456789012",
    )
    storage = LocalStorage(settings.media_dir / "private")
    await service.add_document(
        db, settings, storage, seller, kind="registration", filename="reg.pdf", data=files.pdf()
    )
    if submit:
        await service.submit(db, owner, seller)
    found = await repository.seller_by_id(db, seller.id)
    assert found is not None
    if submit:
        assert found.status == SellerStatus.SUBMITTED
    return owner, found
