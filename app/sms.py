"""Outgoing text messages (SMS): an HTTP gateway in production, a folder in development.

``ODOP_SMS_GATEWAY_URL`` empty: each message is written to ``ODOP_SMS_DIR`` as a JSON file and
listed at ``/dev/sms`` (development and test only; the page is a 404 in production), as mail is
at ``/dev/mail``.

``ODOP_SMS_GATEWAY_URL`` set: each message is POSTed to that URL, the shape most Indian bulk-SMS
gateways accept (adapt the field names here for one that differs)::

    POST <ODOP_SMS_GATEWAY_URL>
    Authorization: Bearer <ODOP_SMS_GATEWAY_API_KEY>
    Content-Type: application/json          (or application/x-www-form-urlencoded with
                                             ODOP_SMS_GATEWAY_FORMAT=form)
    {"sender": "<ODOP_SMS_SENDER>", "to": "+919876543210", "message": "..."}

Any 2xx answer is success; anything else (or a timeout) raises ``SmsFailed`` so the job retries.
Texts are sent from jobs, never while a request waits.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.config import Settings
from app.db import utcnow
from app.errors import NotFound
from app.web import templates_of


@dataclass(frozen=True)
class Sms:
    to: str  # E.164, e.g. +919876543210
    text: str


class SmsFailed(RuntimeError):
    """The gateway refused the message or did not answer."""


class SmsSender(Protocol):
    async def send(self, sms: Sms) -> None: ...


class FolderSender:
    """Development: one JSON file per message in a folder."""

    def __init__(self, folder: Path, sender: str) -> None:
        self.folder = folder
        self.sender = sender

    def _write(self, sms: Sms) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{utcnow():%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.json"
        body = {
            "to": sms.to,
            "sender": self.sender,
            "text": sms.text,
            "sent_at": utcnow().isoformat(),
        }
        tmp = self.folder / (name + ".tmp")
        tmp.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
        tmp.replace(self.folder / name)  # readers never see half a message

    async def send(self, sms: Sms) -> None:
        await asyncio.to_thread(self._write, sms)


class HttpGatewaySender:
    """A generic HTTP SMS gateway: one POST per message, bearer API key, JSON or form body."""

    def __init__(
        self,
        url: str,
        api_key: str,
        sender: str,
        *,
        body_format: str = "json",
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url
        self.api_key = api_key
        self.sender = sender
        self.body_format = body_format
        self.timeout = timeout
        self.transport = transport

    async def send(self, sms: Sms) -> None:
        fields = {"sender": self.sender, "to": sms.to, "message": sms.text}
        headers = {"authorization": f"Bearer {self.api_key}", "accept": "application/json"}
        async with httpx.AsyncClient(timeout=self.timeout, transport=self.transport) as client:
            try:
                if self.body_format == "form":
                    response = await client.post(self.url, data=fields, headers=headers)
                else:
                    response = await client.post(self.url, json=fields, headers=headers)
            except httpx.HTTPError as exc:
                raise SmsFailed(f"SMS gateway unreachable: {exc.__class__.__name__}") from exc
        if not response.is_success:
            # The body may echo the number; keep only the status in the error (it is logged).
            raise SmsFailed(f"SMS gateway answered {response.status_code}")


def sender_for(settings: Settings) -> SmsSender:
    if settings.sms_gateway_url:
        return HttpGatewaySender(
            settings.sms_gateway_url,
            settings.sms_gateway_api_key,
            settings.sms_sender,
            body_format=settings.sms_gateway_format,
            timeout=settings.sms_timeout_seconds,
        )
    return FolderSender(settings.sms_dir, settings.sms_sender)


async def send_sms(settings: Settings, sms: Sms) -> None:
    await sender_for(settings).send(sms)


# The development outbox --------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredSms:
    name: str
    to: str
    text: str
    sent_at: datetime


def folder_messages(folder: Path, limit: int = 100) -> list[StoredSms]:
    """Newest first."""
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.glob("*.json"), reverse=True)[:limit]:
        data = json.loads(path.read_text(encoding="utf-8"))
        found.append(
            StoredSms(
                name=path.name,
                to=str(data["to"]),
                text=str(data["text"]),
                sent_at=datetime.fromisoformat(data["sent_at"]),
            )
        )
    return found


dev_router = APIRouter(prefix="/dev/sms", include_in_schema=False)


@dev_router.get("", name="dev_sms")
async def dev_sms(request: Request) -> HTMLResponse:
    settings: Settings = request.app.state.settings
    if settings.env == "production":
        raise NotFound()
    return templates_of(request).render(
        request,
        "dev/sms.html",
        {"messages": folder_messages(settings.sms_dir), "sms_dir": settings.sms_dir},
        headers={"cache-control": "no-store"},
    )
