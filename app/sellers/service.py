"""Seller onboarding and verification rules. No HTTP here; services flush, the request commits.

Field problems raise ``FormErrors`` with every bad field at once, so a form shows them all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.errors import FieldError
from app.accounts.models import Role, User
from app.accounts.service import normalise_email
from app.config import Settings
from app.db import insert_with_unique_slug, utcnow
from app.errors import Conflict, FormErrors, NotFound
from app.i18n import gettext as _
from app.sellers import crypto, emails, events, repository, uploads
from app.sellers import identifiers as ids
from app.sellers.models import (
    AuditAction,
    ClaimStatus,
    DocumentKind,
    Seller,
    SellerDocument,
    SellerGiClaim,
    SellerMember,
    SellerStatus,
    SellerType,
    VerificationAudit,
)
from app.storage import Storage
from app.text import slugify

SPOKEN_LANGUAGES = (
    "Hindi",
    "English",
    "Assamese",
    "Bengali",
    "Gujarati",
    "Kannada",
    "Kashmiri",
    "Konkani",
    "Malayalam",
    "Manipuri",
    "Marathi",
    "Nepali",
    "Odia",
    "Punjabi",
    "Sanskrit",
    "Sindhi",
    "Tamil",
    "Telugu",
    "Urdu",
)
_PIN = re.compile(r"^[1-9][0-9]{5}$")
_PHONE = re.compile(r"^(?:\+91)?[6-9][0-9]{9}$")


def seller_type_labels() -> dict[str, str]:
    return {
        SellerType.ARTISAN: _("Individual artisan"),
        SellerType.SHG: _("Self-help group (SHG)"),
        SellerType.FPO: _("Farmer producer organisation (FPO)"),
        SellerType.COOPERATIVE: _("Cooperative society"),
        SellerType.MSME: _("Small business (MSME)"),
    }


def status_labels() -> dict[str, str]:
    return {
        SellerStatus.DRAFT: _("Draft: not yet submitted"),
        SellerStatus.SUBMITTED: _("Submitted: waiting for review"),
        SellerStatus.CHANGES_REQUESTED: _("Changes requested"),
        SellerStatus.VERIFIED: _("Verified"),
        SellerStatus.REJECTED: _("Rejected"),
        SellerStatus.SUSPENDED: _("Suspended"),
    }


def claim_status_labels() -> dict[str, str]:
    return {
        ClaimStatus.SUBMITTED: _("Waiting for verification"),
        ClaimStatus.VERIFIED: _("Verified"),
        ClaimStatus.REJECTED: _("Rejected"),
    }


def audit_labels() -> dict[str, str]:
    return {
        AuditAction.SUBMITTED: _("Submitted for review"),
        AuditAction.APPROVED: _("Approved"),
        AuditAction.REJECTED: _("Rejected"),
        AuditAction.CHANGES_REQUESTED: _("Changes requested"),
        AuditAction.SUSPENDED: _("Suspended"),
        AuditAction.REINSTATED: _("Reinstated"),
        AuditAction.GI_APPROVED: _("GI claim approved"),
        AuditAction.GI_REJECTED: _("GI claim rejected"),
    }


def document_kind_labels() -> dict[str, str]:
    return {
        DocumentKind.IDENTITY: _("Identity proof (Aadhaar with masked number, voter id, PAN card)"),
        DocumentKind.REGISTRATION: _("Registration certificate (SHG, FPO, society, Udyam)"),
        DocumentKind.GST: _("GST registration certificate"),
        DocumentKind.BANK: _("Cancelled cheque or bank passbook page"),
        DocumentKind.GI_CERTIFICATE: _("GI authorised user certificate"),
        DocumentKind.OTHER: _("Other"),
    }


# The documents each kind of seller must upload: at least one of these kinds.
REQUIRED_DOCUMENTS: dict[SellerType, frozenset[DocumentKind]] = {
    SellerType.ARTISAN: frozenset({DocumentKind.IDENTITY, DocumentKind.REGISTRATION}),
    SellerType.SHG: frozenset({DocumentKind.REGISTRATION}),
    SellerType.FPO: frozenset({DocumentKind.REGISTRATION}),
    SellerType.COOPERATIVE: frozenset({DocumentKind.REGISTRATION}),
    SellerType.MSME: frozenset({DocumentKind.REGISTRATION}),
}


def required_documents_text(seller_type: SellerType) -> str:
    if seller_type == SellerType.ARTISAN:
        return _(
            "As an artisan, upload an identity proof (or your artisan card as a registration "
            "certificate). A GST certificate and a cancelled cheque help us verify you faster."
        )
    if seller_type == SellerType.MSME:
        return _(
            "As an MSME, upload your Udyam registration certificate. A GST certificate and a "
            "cancelled cheque help us verify you faster."
        )
    return _(
        "As a group (SHG, FPO or cooperative), upload your registration certificate. A GST "
        "certificate and a cancelled cheque help us verify you faster."
    )


def documents_complete(seller: Seller | None, documents: list[SellerDocument]) -> bool:
    if seller is None:
        return False
    needed = REQUIRED_DOCUMENTS[seller.seller_type]
    return any(document.kind in needed for document in documents)


# Onboarding steps ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    name: str  # route name
    label: str
    done: bool
    required: bool


def steps(
    seller: Seller | None, documents: list[SellerDocument], claims: list[SellerGiClaim]
) -> list[Step]:
    result = [
        Step("sell_profile", _("Identity and place"), seller is not None, True),
        Step("sell_identifiers", _("Identifiers"), identifiers_complete(seller), True),
        Step("sell_bank", _("Bank account"), bool(seller and seller.bank_ifsc), True),
        Step("sell_documents", _("Documents"), documents_complete(seller, documents), True),
        Step("sell_gi", _("GI authorisation"), bool(claims), False),
    ]
    if seller is not None and seller.is_collective:
        result.append(Step("sell_members", _("Members"), False, False))
    return result


def identifiers_complete(seller: Seller | None) -> bool:
    """Whether the saved identifiers include every one the seller type needs (a change of type
    can add a requirement after the identifiers were saved)."""
    if seller is None or seller.pan is None:
        return False
    required = {
        SellerType.ARTISAN: (),
        SellerType.SHG: (seller.gstin, seller.nrlm_shg_id),
        SellerType.FPO: (
            seller.gstin,
            seller.cin or not _needs_cin(seller.seller_type, seller.pan),
        ),
        SellerType.COOPERATIVE: (seller.gstin,),
        SellerType.MSME: (seller.gstin, seller.udyam_number),
    }[seller.seller_type]
    return all(required)


# The identifiers each kind of seller is asked for (an artisan is not asked for a CIN).
IDENTIFIERS: dict[SellerType, tuple[str, ...]] = {
    SellerType.ARTISAN: ("pan", "gstin", "pehchan_card"),
    SellerType.SHG: ("pan", "gstin", "nrlm_shg_id"),
    SellerType.FPO: ("pan", "gstin", "cin"),
    SellerType.COOPERATIVE: ("pan", "gstin"),
    SellerType.MSME: ("pan", "gstin", "udyam_number"),
}


def _needs_cin(seller_type: SellerType, pan: str) -> bool:
    """An FPO registered as a producer company (PAN holder type C) has a CIN; one registered
    as a cooperative society does not."""
    return seller_type == SellerType.FPO and len(pan) == 10 and pan[3] == "C"


def missing(step_list: list[Step]) -> list[Step]:
    return [step for step in step_list if step.required and not step.done]


# Step 1: identity and place -----------------------------------------------------------------------


@dataclass
class ProfileInput:
    legal_name: str
    display_name: str
    seller_type: str
    state_id: int | None
    district_id: int | None
    address: str
    pin_code: str
    phone: str
    email: str
    languages: list[str]


async def save_profile(session: AsyncSession, user: User, data: ProfileInput) -> Seller:
    errors: dict[str, str] = {}
    legal_name = data.legal_name.strip()
    display_name = data.display_name.strip() or legal_name
    if not 2 <= len(legal_name) <= 200:
        errors["legal_name"] = _("Enter the legal name (as on your documents).")
    if len(display_name) > 140:
        errors["display_name"] = _("Use at most 140 characters.")
    try:
        seller_type = SellerType(data.seller_type)
    except ValueError:
        errors["seller_type"] = _("Choose what kind of seller you are.")
        seller_type = None
    district = None
    if data.state_id is None or await repository.state(session, data.state_id) is None:
        errors["state_id"] = _("Choose your state.")
    elif (
        data.district_id is None
        or (
            district := await repository.district_in_state(session, data.state_id, data.district_id)
        )
        is None
    ):
        errors["district_id"] = _("Choose your district in this state.")
    address = data.address.strip()
    if not 5 <= len(address) <= 500:
        errors["address"] = _("Enter the full address (house, street, village or town).")
    pin = re.sub(r"\s+", "", data.pin_code)
    if not _PIN.fullmatch(pin):
        errors["pin_code"] = _("A PIN code has 6 digits and does not start with 0.")
    phone = re.sub(r"[\s-]+", "", data.phone)
    if not _PHONE.fullmatch(phone):
        errors["phone"] = _("Enter a 10-digit Indian mobile number.")
    email = ""
    if data.email.strip() or user.phone_verified_at is None:
        # Optional for an account made by mobile number: such a seller may have no email.
        try:
            email = normalise_email(data.email)
        except FieldError as exc:
            errors["email"] = exc.message
    languages = [lang for lang in SPOKEN_LANGUAGES if lang in data.languages]
    if not languages:
        errors["languages"] = _("Choose at least one language you speak.")
    if errors:
        raise FormErrors(errors)
    assert seller_type is not None and district is not None
    seller = await repository.seller_of_user(session, user.id)
    if seller is not None and not seller.editable:
        raise Conflict(_("Your details are under review or verified and cannot be changed now."))
    if seller is not None and seller.seller_type != seller_type:
        check = seller.pan
        if check is not None and check[3] not in ids.PAN_HOLDER_TYPES[seller_type]:
            seller.pan = None  # the PAN no longer fits: the identifiers step must be redone
            seller.gstin = None
    if seller is None:
        seller = Seller(
            owner_user_id=user.id,
            slug="",
            status=SellerStatus.DRAFT,
            legal_name=legal_name,
            display_name=display_name,
            seller_type=seller_type,
            state_id=district.state_id,
            district_id=district.id,
        )
    if seller.state_id != district.state_id and seller.gstin:
        seller.gstin = None  # a GSTIN belongs to one state
    seller.legal_name = legal_name
    seller.display_name = display_name
    seller.seller_type = seller_type
    seller.state_id = district.state_id
    seller.district_id = district.id
    seller.address = address
    seller.pin_code = pin
    seller.phone = phone[-10:]
    seller.email = email
    seller.languages = languages
    if not seller.slug:
        await insert_with_unique_slug(
            session, seller, slugify(seller.display_name, max_length=120), repository.slug_taken
        )
    else:
        await events.seller_moved(session, seller)
    if user.role == Role.BUYER:
        user.role = Role.SELLER_OWNER
    await session.flush()
    return await _reload(session, seller.id)


async def _reload(session: AsyncSession, seller_id: int) -> Seller:
    seller = await repository.seller_by_id(session, seller_id)
    assert seller is not None
    return seller


async def require_editable(session: AsyncSession, user: User) -> Seller:
    seller = await repository.seller_of_user(session, user.id)
    if seller is None:
        raise NotFound(_("Start with your identity and place."))
    if not seller.editable:
        raise Conflict(_("Your details are under review or verified and cannot be changed now."))
    return seller


# Step 2: identifiers ------------------------------------------------------------------------------


@dataclass
class IdentifiersInput:
    pan: str
    gstin: str
    udyam_number: str
    cin: str
    nrlm_shg_id: str
    pehchan_card: str


def needs_gstin(seller_type: SellerType) -> bool:
    return seller_type != SellerType.ARTISAN


async def save_identifiers(session: AsyncSession, seller: Seller, data: IdentifiersInput) -> None:
    errors: dict[str, str] = {}
    asked = IDENTIFIERS[seller.seller_type]
    values = {
        field: ids.normalise(getattr(data, field)) if field in asked else ""
        for field in ("pan", "gstin", "udyam_number", "cin", "nrlm_shg_id", "pehchan_card")
    }
    pan = values["pan"]
    if not pan:
        errors["pan"] = _("Enter the PAN.")
    else:
        try:
            ids.validate_pan(pan, seller.seller_type)
        except ids.InvalidIdentifier as exc:
            errors["pan"] = exc.message
    if values["gstin"]:
        try:
            ids.validate_gstin(
                values["gstin"],
                state_lgd_code=seller.state.lgd_code,
                pan=pan if "pan" not in errors and pan else None,
            )
        except ids.InvalidIdentifier as exc:
            errors["gstin"] = exc.message
    elif needs_gstin(seller.seller_type):
        errors["gstin"] = _("A GSTIN is required for this kind of seller.")
    validators = {
        "udyam_number": ids.validate_udyam,
        "cin": ids.validate_cin,
        "nrlm_shg_id": ids.validate_nrlm_shg_id,
        "pehchan_card": ids.validate_pehchan,
    }
    for field, validator in validators.items():
        if values[field]:
            try:
                validator(values[field])
            except ids.InvalidIdentifier as exc:
                errors[field] = exc.message
    if seller.seller_type == SellerType.SHG and not values["nrlm_shg_id"]:
        errors["nrlm_shg_id"] = _("Enter the SHG code from NRLM.")
    if _needs_cin(seller.seller_type, pan) and not values["cin"]:
        errors.setdefault("cin", _("Enter the CIN of the producer company."))
    if seller.seller_type == SellerType.MSME and not values["udyam_number"]:
        errors["udyam_number"] = _("Enter the Udyam registration number.")
    if errors:
        raise FormErrors(errors)
    for field, value in values.items():
        setattr(seller, field, value or None)
    await session.flush()


# Step 3: bank account -----------------------------------------------------------------------------


async def save_bank(
    session: AsyncSession,
    settings: Settings,
    seller: Seller,
    *,
    holder: str,
    ifsc: str,
    account: str,
    account_again: str,
) -> None:
    errors: dict[str, str] = {}
    holder = " ".join(holder.split())
    if not 2 <= len(holder) <= 140:
        errors["bank_account_holder"] = _("Enter the name on the bank account.")
    ifsc = ids.normalise(ifsc)
    try:
        ids.validate_ifsc(ifsc)
    except ids.InvalidIdentifier as exc:
        errors["bank_ifsc"] = exc.message
    account = re.sub(r"[\s-]+", "", account)
    try:
        ids.validate_account_number(account)
    except ids.InvalidIdentifier as exc:
        errors["account_number"] = exc.message
    else:
        if re.sub(r"[\s-]+", "", account_again) != account:
            errors["account_number_again"] = _("The two account numbers are not the same.")
    if errors:
        raise FormErrors(errors)
    seller.bank_account_holder = holder
    seller.bank_ifsc = ifsc
    seller.bank_account_encrypted = crypto.encrypt(settings.secret_key, account)
    seller.bank_account_last4 = account[-4:]
    await session.flush()


# Step 4: documents --------------------------------------------------------------------------------


def _safe_filename(name: str, extension: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", name.rsplit(".", 1)[0]).strip("-.")[:80] or "document"
    return f"{stem}.{extension}"


async def add_document(
    session: AsyncSession,
    settings: Settings,
    storage: Storage,
    seller: Seller,
    *,
    kind: str,
    filename: str,
    data: bytes,
) -> SellerDocument:
    try:
        document_kind = DocumentKind(kind)
    except ValueError:
        raise FormErrors({"kind": _("Choose what this document is.")}) from None
    try:
        checked = uploads.check_document(settings, data)
    except uploads.BadUpload as exc:
        raise FormErrors({"file": exc.message}) from None
    key = uploads.new_key(f"sellers/{seller.id}", checked.extension)
    uploads.save_with_transaction(session, storage, key, checked.data)
    document = SellerDocument(
        seller_id=seller.id,
        kind=document_kind,
        storage_key=key,
        filename=_safe_filename(filename, checked.extension),
        content_type=checked.content_type,
        size_bytes=len(checked.data),
    )
    session.add(document)
    await session.flush()
    return document


async def delete_document(
    session: AsyncSession, storage: Storage, seller: Seller, document_id: int
) -> None:
    document = await repository.document(session, document_id, seller.id)
    if document is None:
        raise NotFound()
    await session.delete(document)
    await session.flush()
    uploads.remove_after_commit(session, storage, document.storage_key)


# Step 5: GI claims --------------------------------------------------------------------------------


async def add_gi_claim(
    session: AsyncSession,
    settings: Settings,
    storage: Storage,
    seller: Seller,
    *,
    gi_tag_id: int | None,
    authorised_user_number: str,
    certificate_name: str,
    certificate: bytes,
) -> SellerGiClaim:
    errors: dict[str, str] = {}
    allowed = {
        tag.id
        for tag in await repository.gi_tags_for_place(session, seller.state_id, seller.district_id)
    }
    if gi_tag_id is None or gi_tag_id not in allowed:
        errors["gi_tag_id"] = _("Choose a GI tag of your state or district.")
    elif any(c.gi_tag_id == gi_tag_id for c in await repository.claims(session, seller.id)):
        errors["gi_tag_id"] = _("You have already claimed this GI tag.")
    number = " ".join(authorised_user_number.split()).upper()
    if not re.fullmatch(r"[A-Z0-9][A-Z0-9/ .-]{1,78}", number):
        errors["authorised_user_number"] = _(
            "Enter the authorised user registration number from your certificate."
        )
    checked = None
    try:
        checked = uploads.check_document(settings, certificate)
    except uploads.BadUpload as exc:
        errors["certificate"] = exc.message
    if errors:
        raise FormErrors(errors)
    assert checked is not None and gi_tag_id is not None
    key = uploads.new_key(f"sellers/{seller.id}", checked.extension)
    uploads.save_with_transaction(session, storage, key, checked.data)
    document = SellerDocument(
        seller_id=seller.id,
        kind=DocumentKind.GI_CERTIFICATE,
        storage_key=key,
        filename=_safe_filename(certificate_name, checked.extension),
        content_type=checked.content_type,
        size_bytes=len(checked.data),
    )
    session.add(document)
    await session.flush()
    claim = SellerGiClaim(
        seller_id=seller.id,
        gi_tag_id=gi_tag_id,
        authorised_user_number=number,
        status=ClaimStatus.SUBMITTED,
        certificate_id=document.id,
    )
    session.add(claim)
    await session.flush()
    return claim


async def withdraw_gi_claim(
    session: AsyncSession, storage: Storage, seller: Seller, claim_id: int
) -> None:
    claim = await repository.claim(session, claim_id, seller.id)
    if claim is None:
        raise NotFound()
    if claim.status == ClaimStatus.VERIFIED:
        raise Conflict(_("A verified GI claim cannot be withdrawn here; contact us."))
    certificate = claim.certificate
    await session.delete(claim)
    if certificate is not None:
        await session.delete(certificate)
        uploads.remove_after_commit(session, storage, certificate.storage_key)
    await session.flush()


# Step 6: members of a collective ------------------------------------------------------------------


async def add_member(
    session: AsyncSession,
    seller: Seller,
    *,
    name: str,
    craft: str,
    pehchan_card: str,
    phone: str,
    show_publicly: bool = False,
) -> SellerMember:
    if not seller.is_collective:
        raise Conflict(_("Only SHGs, FPOs and cooperatives have members."))
    errors: dict[str, str] = {}
    name = " ".join(name.split())
    if not 2 <= len(name) <= 140:
        errors["name"] = _("Enter the member's name.")
    card = ids.normalise(pehchan_card)
    if card:
        try:
            ids.validate_pehchan(card)
        except ids.InvalidIdentifier as exc:
            errors["pehchan_card"] = exc.message
    phone = re.sub(r"[\s-]+", "", phone)
    if phone and not _PHONE.fullmatch(phone):
        errors["phone"] = _("Enter a 10-digit Indian mobile number.")
    if errors:
        raise FormErrors(errors)
    member = SellerMember(
        seller_id=seller.id,
        name=name,
        craft=" ".join(craft.split())[:140],
        show_publicly=show_publicly,
        pehchan_card=card or None,
        phone=phone[-10:] if phone else "",
    )
    session.add(member)
    await session.flush()
    return member


async def remove_member(session: AsyncSession, seller: Seller, member_id: int) -> None:
    member = await repository.member(session, member_id, seller.id)
    if member is None:
        raise NotFound()
    await session.delete(member)
    await session.flush()


# Submit and review -------------------------------------------------------------------------------


def _audit(
    session: AsyncSession,
    seller: Seller,
    action: AuditAction,
    actor: User | None,
    reason: str = "",
    claim: SellerGiClaim | None = None,
) -> None:
    session.add(
        VerificationAudit(
            seller_id=seller.id,
            gi_claim_id=claim.id if claim else None,
            actor_user_id=actor.id if actor else None,
            action=action,
            reason=reason,
        )
    )


async def submit(session: AsyncSession, user: User, seller: Seller) -> None:
    documents = await repository.documents(session, seller.id)
    claims = await repository.claims(session, seller.id)
    still_missing = missing(steps(seller, documents, claims))
    if still_missing:
        raise FormErrors(
            {
                "form": _(
                    "Finish these steps first: %(steps)s",
                    steps=", ".join(step.label for step in still_missing),
                )
            }
        )
    if not seller.editable:
        raise Conflict(_("Your details are under review or verified and cannot be changed now."))
    # Decisions are emailed (or texted): the address or number must reach someone.
    if user.email_verified_at is None and user.phone_verified_at is None:
        raise FormErrors(
            {
                "form": _(
                    "Confirm your email address first: open the link we sent you, or ask for a "
                    "new one on your account page."
                )
            }
        )
    seller.status = SellerStatus.SUBMITTED
    seller.submitted_at = utcnow()
    _audit(session, seller, AuditAction.SUBMITTED, user)
    await session.flush()


class Decision:
    APPROVE = "approve"
    REJECT = "reject"
    REQUEST_CHANGES = "request_changes"


async def decide(
    session: AsyncSession, admin: User, seller_id: int, decision: str, reason: str
) -> Seller:
    seller = await repository.seller_by_id(session, seller_id)
    if seller is None:
        raise NotFound()
    if seller.status != SellerStatus.SUBMITTED:
        raise Conflict(_("This seller is not waiting for review."))
    reason = reason.strip()
    if decision == Decision.APPROVE:
        seller.status = SellerStatus.VERIFIED
        seller.verified_at = utcnow()
        seller.status_reason = ""
        action = AuditAction.APPROVED
    elif decision in (Decision.REJECT, Decision.REQUEST_CHANGES):
        if not reason:
            raise FormErrors({"reason": _("Say why, so the seller knows what to fix.")})
        seller.status = (
            SellerStatus.REJECTED if decision == Decision.REJECT else SellerStatus.CHANGES_REQUESTED
        )
        seller.status_reason = reason[:2000]
        action = (
            AuditAction.REJECTED if decision == Decision.REJECT else AuditAction.CHANGES_REQUESTED
        )
    else:
        raise FormErrors({"decision": _("Choose a decision.")})
    _audit(session, seller, action, admin, reason)
    emails.queue(session, seller.id, action, reason)
    events.seller_changed(session, seller.id)
    await session.flush()
    return seller


async def suspend(session: AsyncSession, admin: User, seller_id: int, reason: str) -> Seller:
    seller = await repository.seller_by_id(session, seller_id)
    if seller is None:
        raise NotFound()
    if seller.status != SellerStatus.VERIFIED:
        raise Conflict(_("Only a verified seller can be suspended."))
    reason = reason.strip()
    if not reason:
        raise FormErrors({"reason": _("Say why, so the seller knows what to fix.")})
    seller.status = SellerStatus.SUSPENDED
    seller.status_reason = reason[:2000]
    _audit(session, seller, AuditAction.SUSPENDED, admin, reason)
    emails.queue(session, seller.id, AuditAction.SUSPENDED, reason)
    await events.standing_changed(session, seller)
    await session.flush()
    return seller


async def reinstate(session: AsyncSession, admin: User, seller_id: int, reason: str) -> Seller:
    seller = await repository.seller_by_id(session, seller_id)
    if seller is None:
        raise NotFound()
    if seller.status != SellerStatus.SUSPENDED:
        raise Conflict(_("This seller is not suspended."))
    seller.status = SellerStatus.VERIFIED
    seller.status_reason = ""
    _audit(session, seller, AuditAction.REINSTATED, admin, reason.strip())
    emails.queue(session, seller.id, AuditAction.REINSTATED, reason.strip())
    await events.standing_changed(session, seller)
    await session.flush()
    return seller


async def decide_claim(
    session: AsyncSession, admin: User, claim_id: int, approve: bool, reason: str
) -> SellerGiClaim:
    claim = await repository.claim(session, claim_id)
    if claim is None:
        raise NotFound()
    if claim.status != ClaimStatus.SUBMITTED:
        raise Conflict(_("This GI claim has already been decided."))
    seller = await _reload(session, claim.seller_id)
    reason = reason.strip()
    if not approve and not reason:
        raise FormErrors({"reason": _("Say why, so the seller knows what to fix.")})
    claim.status = ClaimStatus.VERIFIED if approve else ClaimStatus.REJECTED
    claim.verified_at = utcnow() if approve else None
    claim.status_reason = "" if approve else reason[:2000]
    action = AuditAction.GI_APPROVED if approve else AuditAction.GI_REJECTED
    _audit(session, seller, action, admin, reason, claim)
    emails.queue(session, seller.id, action, reason, gi_tag=claim.gi_tag.name)
    events.seller_changed(session, seller.id)
    await session.flush()
    return claim
