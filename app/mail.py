"""Outgoing email: SMTP in production, a folder of .eml files in development.

``ODOP_SMTP_URL``:
* ``smtp://user:password@host:587`` - plain connection upgraded with STARTTLS (required; the send
  fails if the server does not offer it). Add ``?starttls=off`` only for a local relay on a
  trusted network (the tests' aiosmtpd server uses it).
* ``smtps://user:password@host:465`` - TLS from the first byte.
* empty - each message is written to ``ODOP_MAIL_DIR`` as an .eml file and listed at ``/dev/mail``
  (development and test only; the page is a 404 in production).

Mail is sent from jobs (``app/accounts/emails.py``), never while a request waits.
"""

from __future__ import annotations

import asyncio
import email.policy
import smtplib
import ssl
import uuid
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Annotated
from urllib.parse import parse_qs, unquote, urlsplit

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse

from app.config import Settings
from app.db import utcnow
from app.errors import NotFound
from app.web import templates_of


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    language: str = "en"


def build_message(settings: Settings, mail: Mail) -> EmailMessage:
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = settings.mail_from
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain="odop-bazaar")
    message.set_content(mail.text, charset="utf-8")
    message["Content-Language"] = mail.language  # after set_content, which drops Content-*
    return message


def _send_smtp(url: str, message: EmailMessage, timeout: float) -> None:
    parts = urlsplit(url)
    options = parse_qs(parts.query)
    host = parts.hostname or "localhost"
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if parts.scheme == "smtps":
        client = smtplib.SMTP_SSL(host, parts.port or 465, timeout=timeout, context=context)
    elif parts.scheme == "smtp":
        client = smtplib.SMTP(host, parts.port or 587, timeout=timeout)
    else:
        raise ValueError(f"ODOP_SMTP_URL must start with smtp:// or smtps://, not {parts.scheme}")
    with client:
        client.ehlo()
        if parts.scheme == "smtp" and options.get("starttls", ["on"])[0] != "off":
            if not client.has_extn("starttls"):
                raise smtplib.SMTPNotSupportedError("the SMTP server does not offer STARTTLS")
            client.starttls(context=context)
            client.ehlo()
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(message)


def _write_folder(folder: Path, message: EmailMessage) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{utcnow():%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.eml"
    path = folder / name
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(message.as_bytes())
    tmp.replace(path)  # readers never see half a message
    return path


async def send_mail(settings: Settings, mail: Mail) -> None:
    """Send one message (blocking work in a thread). Raises on failure so the job retries."""
    message = build_message(settings, mail)
    if settings.smtp_url:
        await asyncio.to_thread(
            _send_smtp, settings.smtp_url, message, settings.smtp_timeout_seconds
        )
    else:
        await asyncio.to_thread(_write_folder, settings.mail_dir, message)


# The development mailbox ------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredMail:
    name: str
    to: str
    subject: str
    sent_at: datetime
    body: str


def read_folder_message(path: Path) -> StoredMail:
    parsed = BytesParser(policy=email.policy.default).parsebytes(path.read_bytes())
    body_part = parsed.get_body(preferencelist=("plain",))
    body = body_part.get_content() if body_part is not None else ""
    return StoredMail(
        name=path.name,
        to=str(parsed["To"]),
        subject=str(parsed["Subject"]),
        sent_at=parsed["Date"].datetime if parsed["Date"] else utcnow(),
        body=str(body),
    )


def folder_messages(folder: Path, limit: int = 100) -> list[StoredMail]:
    """Newest first."""
    if not folder.is_dir():
        return []
    paths = sorted(folder.glob("*.eml"), reverse=True)[:limit]
    return [read_folder_message(path) for path in paths]


dev_router = APIRouter(prefix="/dev/mail", include_in_schema=False)


def _development_only(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    if settings.env == "production":
        raise NotFound()
    return settings


@dev_router.get("", name="dev_mail")
async def dev_mail(request: Request) -> HTMLResponse:
    settings = _development_only(request)
    return templates_of(request).render(
        request,
        "dev/mail.html",
        {"messages": folder_messages(settings.mail_dir), "mail_dir": settings.mail_dir},
        headers={"cache-control": "no-store"},
    )


@dev_router.get("/{name}", name="dev_mail_message")
async def dev_mail_message(
    request: Request, name: Annotated[str, PathParam(pattern=r"^[0-9A-Za-z-]+\.eml$")]
) -> HTMLResponse:
    settings = _development_only(request)
    path = settings.mail_dir / name
    if not path.is_file():
        raise NotFound()
    return templates_of(request).render(
        request,
        "dev/mail_message.html",
        {"message": read_folder_message(path)},
        headers={"cache-control": "no-store"},
    )
