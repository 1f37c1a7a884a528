"""A local stand-in for the Meilisearch HTTP API: records every request the official client
makes and answers in the shapes Meilisearch documents (summarized task, task, search result,
error object)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

WHEN = "2026-11-28T10:00:00.000000Z"


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any


@dataclass
class Stub:
    url: str = ""
    requests: list[Request] = field(default_factory=list)
    indexes: set[str] = field(default_factory=set)
    fail_tasks: bool = False
    search_response: dict[str, Any] = field(default_factory=dict)
    # The answer to each query of a multi-search (by default, search_response).
    respond: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    _tasks: dict[int, dict[str, Any]] = field(default_factory=dict)

    def calls(self, method: str | None = None) -> list[tuple[str, str]]:
        return [
            (r.method, r.path)
            for r in self.requests
            if (method is None or r.method == method) and not r.path.startswith("/tasks/")
        ]

    def task(self, index_uid: str | None, kind: str) -> tuple[int, dict[str, Any]]:
        uid = len(self._tasks) + 1
        failed = self.fail_tasks
        self._tasks[uid] = {
            "uid": uid,
            "batchUid": uid,
            "indexUid": index_uid,
            "status": "failed" if failed else "succeeded",
            "type": kind,
            "canceledBy": None,
            "details": {},
            "error": (
                {
                    "message": "Index `listings` not found.",
                    "code": "index_not_found",
                    "type": "invalid_request",
                    "link": "https://docs.meilisearch.com/errors#index_not_found",
                }
                if failed
                else None
            ),
            "duration": "PT0.01S",
            "enqueuedAt": WHEN,
            "startedAt": WHEN,
            "finishedAt": WHEN,
        }
        summary = {
            "taskUid": uid,
            "indexUid": index_uid,
            "status": "enqueued",
            "type": kind,
            "enqueuedAt": WHEN,
        }
        return 202, summary

    def answer(self, request: Request) -> tuple[int, Any]:
        parts = request.path.strip("/").split("/")
        if parts[0] == "tasks":
            return 200, self._tasks[int(parts[1])]
        if parts == ["indexes"] and request.method == "POST":
            self.indexes.add(request.body["uid"])
            return self.task(request.body["uid"], "indexCreation")
        if parts[0] == "indexes" and len(parts) == 2 and request.method == "GET":
            if parts[1] not in self.indexes:
                return 404, {
                    "message": f"Index `{parts[1]}` not found.",
                    "code": "index_not_found",
                    "type": "invalid_request",
                    "link": "https://docs.meilisearch.com/errors#index_not_found",
                }
            return 200, {"uid": parts[1], "primaryKey": "id", "createdAt": WHEN, "updatedAt": WHEN}
        if parts[0] == "indexes" and len(parts) == 2 and request.method == "DELETE":
            return self.task(parts[1], "indexDeletion")
        if parts[-1] == "settings":
            return self.task(parts[1], "settingsUpdate")
        if parts[-1] == "delete":
            return self.task(parts[1], "documentDeletion")
        if parts[-1] == "documents":
            return self.task(parts[1], "documentAdditionOrUpdate")
        if parts[-1] == "search":
            return 200, self.search_response
        if parts == ["multi-search"]:
            return 200, {
                "results": [
                    {
                        **(self.respond or (lambda _: self.search_response))(q),
                        "indexUid": q["indexUid"],
                    }
                    for q in request.body["queries"]
                ]
            }
        if parts == ["swap-indexes"]:
            return self.task(None, "indexSwap")
        return 404, {"message": "not stubbed", "code": "not_found", "type": "invalid_request"}


def _handler(stub: Stub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            request = Request(
                self.command, url.path, parse_qs(url.query), json.loads(raw or "null")
            )
            stub.requests.append(request)
            status, body = stub.answer(request)
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle  # noqa: N815

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def running_stub(configure: Callable[[Stub], None] | None = None) -> Iterator[Stub]:
    stub = Stub()
    if configure:
        configure(stub)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(stub))
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
