"""Seller onboarding pages under /sell: one page per step, each saved on its own, resumable.

``router`` is included in app/main.py with ``dependencies=[Depends(require_user)]``; every POST
checks CSRF. Uploads are capped before parsing by ``uploads.BodyLimitMiddleware``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.deps import CurrentUser
from app.accounts.models import User
from app.config import Settings
from app.db import SessionDep
from app.errors import FormErrors, NotFound
from app.i18n import gettext as _
from app.i18n import localized_name
from app.inputs import Id, form_int
from app.sellers import repository, service
from app.sellers.deps import private_storage, settings_of
from app.sellers.models import Seller, SellerDocument
from app.storage import Storage
from app.web import flash, redirect_to, templates_of

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(max_length=500)]
OptionalFile = Annotated[UploadFile | None, File()]
NO_STORE = {"cache-control": "no-store"}


def _int_or_none(value: str) -> int | None:
    return form_int(value, low=1)


async def _page(
    request: Request,
    session: AsyncSession,
    user: User,
    template: str,
    *,
    seller: Seller | None = None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    **extra: Any,
) -> HTMLResponse:
    seller = seller or await repository.seller_of_user(session, user.id)
    documents: list[SellerDocument] = []
    claims = []
    if seller is not None:
        documents = await repository.documents(session, seller.id)
        claims = await repository.claims(session, seller.id)
    step_list = service.steps(seller, documents, claims)
    return templates_of(request).render(
        request,
        template,
        {
            "seller": seller,
            "steps": step_list,
            "missing": service.missing(step_list),
            "documents": documents,
            "claims": claims,
            "values": values or {},
            "errors": errors or {},
            "status_labels": service.status_labels(),
            "type_labels": service.seller_type_labels(),
            "kind_labels": service.document_kind_labels(),
            "claim_labels": service.claim_status_labels(),
            "audit_labels": service.audit_labels(),
            **extra,
        },
        status_code=status,
        headers=NO_STORE,
    )


# Overview -----------------------------------------------------------------------------------------


@router.get("/sell", name="sell_home")
async def sell_home(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    seller = await repository.seller_of_user(session, user.id)
    audit = await repository.audit_log(session, seller.id) if seller else []
    return await _page(request, session, user, "sellers/sell_home.html", seller=seller, audit=audit)


# Step 1: identity and place -----------------------------------------------------------------------


async def _profile_page(
    request: Request,
    session: AsyncSession,
    user: User,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
) -> HTMLResponse:
    state_id = values.get("state_id")
    districts = await repository.districts_of(session, state_id) if state_id else []
    return await _page(
        request,
        session,
        user,
        "sellers/sell_profile.html",
        values=values,
        errors=errors,
        status=status,
        state_options=[(s.id, localized_name(s)) for s in await repository.states(session)],
        district_options=[(d.id, localized_name(d)) for d in districts],
        spoken_languages=service.SPOKEN_LANGUAGES,
    )


@router.get("/sell/districts", name="sell_districts")
async def districts_json(
    session: SessionDep, user: CurrentUser, state_id: Annotated[int, Query(ge=1)]
) -> JSONResponse:
    """The districts of a State, for the profile form's script (the form works without it)."""
    districts = await repository.districts_of(session, state_id)
    return JSONResponse(
        [{"id": d.id, "name": localized_name(d)} for d in districts],
        headers={"cache-control": "private, max-age=3600"},
    )


@router.get("/sell/profile", name="sell_profile")
async def profile_form(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    seller = await repository.seller_of_user(session, user.id)
    if seller is None:
        values: dict[str, Any] = {
            "email": user.email or "",
            "phone": user.phone[-10:] if user.phone else "",
            "languages": ["Hindi"],
        }
    else:
        values = {
            "legal_name": seller.legal_name,
            "display_name": seller.display_name,
            "seller_type": seller.seller_type.value,
            "state_id": seller.state_id,
            "district_id": seller.district_id,
            "address": seller.address,
            "pin_code": seller.pin_code,
            "phone": seller.phone,
            "email": seller.email,
            "languages": seller.languages,
        }
    return await _profile_page(request, session, user, values, {})


@router.post("/sell/profile")
async def profile_save(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    legal_name: Text = "",
    display_name: Text = "",
    seller_type: Text = "",
    state_id: Text = "",
    district_id: Text = "",
    address: Text = "",
    pin_code: Text = "",
    phone: Text = "",
    email: Text = "",
    languages: Annotated[list[str] | None, Form()] = None,
    action: Text = "save",
) -> Response:
    data = service.ProfileInput(
        legal_name=legal_name,
        display_name=display_name,
        seller_type=seller_type,
        state_id=_int_or_none(state_id),
        district_id=_int_or_none(district_id),
        address=address,
        pin_code=pin_code,
        phone=phone,
        email=email,
        languages=languages or [],
    )
    values = {**data.__dict__, "seller_type": seller_type}
    if action == "districts":  # without JavaScript: show the districts of the chosen state
        return await _profile_page(request, session, user, {**values, "district_id": None}, {})
    try:
        await service.save_profile(session, user, data)
    except FormErrors as exc:
        return await _profile_page(request, session, user, values, exc.errors, 422)
    flash(request, _("Saved. Next: your identifiers."))
    return redirect_to(request, "sell_identifiers")


# Step 2: identifiers ------------------------------------------------------------------------------

IDENTIFIER_FIELDS = ("pan", "gstin", "udyam_number", "cin", "nrlm_shg_id", "pehchan_card")


@router.get("/sell/identifiers", name="sell_identifiers")
async def identifiers_form(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    seller = await repository.seller_of_user(session, user.id)
    if seller is None:
        return redirect_to(request, "sell_profile")
    values = {field: getattr(seller, field) or "" for field in IDENTIFIER_FIELDS}
    return await _page(
        request,
        session,
        user,
        "sellers/sell_identifiers.html",
        seller=seller,
        values=values,
        gstin_required=service.needs_gstin(seller.seller_type),
        asked=service.IDENTIFIERS[seller.seller_type],
    )


@router.post("/sell/identifiers")
async def identifiers_save(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    pan: Text = "",
    gstin: Text = "",
    udyam_number: Text = "",
    cin: Text = "",
    nrlm_shg_id: Text = "",
    pehchan_card: Text = "",
) -> Response:
    seller = await service.require_editable(session, user)
    data = service.IdentifiersInput(pan, gstin, udyam_number, cin, nrlm_shg_id, pehchan_card)
    try:
        await service.save_identifiers(session, seller, data)
    except FormErrors as exc:
        return await _page(
            request,
            session,
            user,
            "sellers/sell_identifiers.html",
            seller=seller,
            values=data.__dict__,
            errors=exc.errors,
            status=422,
            gstin_required=service.needs_gstin(seller.seller_type),
            asked=service.IDENTIFIERS[seller.seller_type],
        )
    flash(request, _("Saved. Next: your bank account."))
    return redirect_to(request, "sell_bank")


# Step 3: bank account -----------------------------------------------------------------------------


@router.get("/sell/bank", name="sell_bank")
async def bank_form(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    seller = await repository.seller_of_user(session, user.id)
    if seller is None:
        return redirect_to(request, "sell_profile")
    values = {
        "bank_account_holder": seller.bank_account_holder or seller.legal_name,
        "bank_ifsc": seller.bank_ifsc or "",
    }
    return await _page(request, session, user, "sellers/sell_bank.html", values=values)


@router.post("/sell/bank")
async def bank_save(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    settings: Annotated[Settings, Depends(settings_of)],
    bank_account_holder: Text = "",
    bank_ifsc: Text = "",
    account_number: Text = "",
    account_number_again: Text = "",
) -> Response:
    seller = await service.require_editable(session, user)
    try:
        await service.save_bank(
            session,
            settings,
            seller,
            holder=bank_account_holder,
            ifsc=bank_ifsc,
            account=account_number,
            account_again=account_number_again,
        )
    except FormErrors as exc:
        # The account number is never echoed back into the page.
        values = {"bank_account_holder": bank_account_holder, "bank_ifsc": bank_ifsc}
        return await _page(
            request,
            session,
            user,
            "sellers/sell_bank.html",
            seller=seller,
            values=values,
            errors=exc.errors,
            status=422,
        )
    flash(request, _("Saved. Next: upload your documents."))
    return redirect_to(request, "sell_documents")


# Step 4: documents --------------------------------------------------------------------------------


@router.get("/sell/documents", name="sell_documents")
async def documents_page(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    seller = await repository.seller_of_user(session, user.id)
    if seller is None:
        return redirect_to(request, "sell_profile")
    return await _page(
        request,
        session,
        user,
        "sellers/sell_documents.html",
        seller=seller,
        required_text=service.required_documents_text(seller.seller_type),
    )


@router.post("/sell/documents")
async def documents_upload(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    settings: Annotated[Settings, Depends(settings_of)],
    storage: Annotated[Storage, Depends(private_storage)],
    file: OptionalFile = None,
    kind: Text = "",
) -> Response:
    seller = await service.require_editable(session, user)
    data = await file.read() if file is not None else b""
    try:
        await service.add_document(
            session,
            settings,
            storage,
            seller,
            kind=kind,
            filename=(file.filename or "") if file is not None else "",
            data=data,
        )
    except FormErrors as exc:
        return await _page(
            request,
            session,
            user,
            "sellers/sell_documents.html",
            seller=seller,
            values={"kind": kind},
            errors=exc.errors,
            status=422,
            required_text=service.required_documents_text(seller.seller_type),
        )
    flash(request, _("Document uploaded."))
    return redirect_to(request, "sell_documents")


@router.post("/sell/documents/{document_id}/delete", name="sell_document_delete")
async def documents_delete(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    storage: Annotated[Storage, Depends(private_storage)],
    document_id: Id,
) -> Response:
    seller = await service.require_editable(session, user)
    await service.delete_document(session, storage, seller, document_id)
    flash(request, _("Document removed."))
    return redirect_to(request, "sell_documents")


@router.get("/sell/documents/{document_id}", name="sell_document_file")
async def document_file(
    session: SessionDep,
    user: CurrentUser,
    storage: Annotated[Storage, Depends(private_storage)],
    document_id: Id,
) -> Response:
    seller = await repository.seller_of_user(session, user.id)
    document = await repository.document(session, document_id, seller.id) if seller else None
    if document is None:
        raise NotFound()
    return document_response(storage, document)


def document_response(storage: Storage, document: SellerDocument) -> Response:
    """A private document as a download: never rendered inline, never cached, never sniffed."""
    return Response(
        storage.read(document.storage_key),
        media_type=document.content_type,
        headers={
            "content-disposition": f'attachment; filename="{document.filename}"',
            "cache-control": "private, no-store",
            "x-content-type-options": "nosniff",
            "content-security-policy": "default-src 'none'; sandbox",
        },
    )


# Step 5: GI claims --------------------------------------------------------------------------------


async def _gi_page(
    request: Request,
    session: AsyncSession,
    user: User,
    seller: Seller,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
) -> HTMLResponse:
    gi_tags = await repository.gi_tags_for_place(session, seller.state_id, seller.district_id)
    return await _page(
        request,
        session,
        user,
        "sellers/sell_gi.html",
        seller=seller,
        values=values,
        errors=errors,
        status=status,
        gi_tags=gi_tags,
        gi_tags_options=[(tag.id, localized_name(tag)) for tag in gi_tags],
    )


@router.get("/sell/gi", name="sell_gi")
async def gi_page(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    seller = await repository.seller_of_user(session, user.id)
    if seller is None:
        return redirect_to(request, "sell_profile")
    return await _gi_page(request, session, user, seller, {}, {})


@router.post("/sell/gi")
async def gi_claim(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    settings: Annotated[Settings, Depends(settings_of)],
    storage: Annotated[Storage, Depends(private_storage)],
    gi_tag_id: Text = "",
    authorised_user_number: Text = "",
    certificate: OptionalFile = None,
) -> Response:
    seller = await repository.seller_of_user(session, user.id)
    if seller is None:
        return redirect_to(request, "sell_profile")
    data = await certificate.read() if certificate is not None else b""
    try:
        await service.add_gi_claim(
            session,
            settings,
            storage,
            seller,
            gi_tag_id=_int_or_none(gi_tag_id),
            authorised_user_number=authorised_user_number,
            certificate_name=(certificate.filename or "") if certificate is not None else "",
            certificate=data,
        )
    except FormErrors as exc:
        values = {
            "gi_tag_id": _int_or_none(gi_tag_id),
            "authorised_user_number": authorised_user_number,
        }
        return await _gi_page(request, session, user, seller, values, exc.errors, 422)
    flash(request, _("GI claim added. An administrator will verify it."))
    return redirect_to(request, "sell_gi")


@router.post("/sell/gi/{claim_id}/withdraw", name="sell_gi_withdraw")
async def gi_withdraw(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    storage: Annotated[Storage, Depends(private_storage)],
    claim_id: Id,
) -> Response:
    seller = await repository.seller_of_user(session, user.id)
    if seller is None:
        raise NotFound()
    await service.withdraw_gi_claim(session, storage, seller, claim_id)
    flash(request, _("GI claim withdrawn."))
    return redirect_to(request, "sell_gi")


# Step 6: members ----------------------------------------------------------------------------------


async def _members_page(
    request: Request,
    session: AsyncSession,
    user: User,
    seller: Seller,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
) -> HTMLResponse:
    return await _page(
        request,
        session,
        user,
        "sellers/sell_members.html",
        seller=seller,
        values=values,
        errors=errors,
        status=status,
        members=await repository.members(session, seller.id),
    )


@router.get("/sell/members", name="sell_members")
async def members_page(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    seller = await repository.seller_of_user(session, user.id)
    if seller is None or not seller.is_collective:
        raise NotFound()
    return await _members_page(request, session, user, seller, {}, {})


@router.post("/sell/members")
async def members_add(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    name: Text = "",
    craft: Text = "",
    pehchan_card: Text = "",
    phone: Text = "",
    show_publicly: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    seller = await repository.seller_of_user(session, user.id)
    if seller is None or not seller.is_collective:
        raise NotFound()
    try:
        await service.add_member(
            session,
            seller,
            name=name,
            craft=craft,
            pehchan_card=pehchan_card,
            phone=phone,
            show_publicly=show_publicly == "yes",
        )
    except FormErrors as exc:
        values = {
            "name": name,
            "craft": craft,
            "pehchan_card": pehchan_card,
            "phone": phone,
            "show_publicly": show_publicly,
        }
        return await _members_page(request, session, user, seller, values, exc.errors, 422)
    flash(request, _("Member added."))
    return redirect_to(request, "sell_members")


@router.post("/sell/members/{member_id}/remove", name="sell_member_remove")
async def members_remove(
    request: Request, session: SessionDep, user: CurrentUser, member_id: Id
) -> Response:
    seller = await repository.seller_of_user(session, user.id)
    if seller is None:
        raise NotFound()
    await service.remove_member(session, seller, member_id)
    flash(request, _("Member removed."))
    return redirect_to(request, "sell_members")


# Submit -------------------------------------------------------------------------------------------


@router.post("/sell/submit", name="sell_submit")
async def submit(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    seller = await repository.seller_of_user(session, user.id)
    if seller is None:
        return redirect_to(request, "sell_profile")
    try:
        await service.submit(session, user, seller)
    except FormErrors as exc:
        audit = await repository.audit_log(session, seller.id)
        return await _page(
            request,
            session,
            user,
            "sellers/sell_home.html",
            seller=seller,
            errors=exc.errors,
            status=422,
            audit=audit,
        )
    flash(request, _("Submitted. We will email you when your details are reviewed."))
    return redirect_to(request, "sell_home")
