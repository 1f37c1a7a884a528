"""A local HTTP server that records requests and answers in Stripe's documented shapes.

The real ``stripe`` library is pointed at it (``ODOP_STRIPE_API_BASE``), so tests assert the exact
requests our code makes: method, path, form-encoded parameters, headers.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, str]


@dataclass
class RecordingServer:
    url: str
    routes: dict[tuple[str, str], tuple[int, dict[str, Any]]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)

    def reply(self, method: str, path: str, body: dict[str, Any], status: int = 200) -> None:
        self.routes[(method, path)] = (status, body)


@contextmanager
def recording_server() -> Iterator[RecordingServer]:
    state = RecordingServer(url="")

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length).decode() if length else ""
            path, _, query = self.path.partition("?")
            form = dict(parse_qsl(raw or query, keep_blank_values=True))
            headers = {key.lower(): value for key, value in self.headers.items()}
            state.requests.append(Recorded(self.command, path, headers, form))
            status, body = state.routes.get(
                (self.command, path),
                (404, {"error": {"type": "invalid_request_error", "message": "No such route"}}),
            )
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.send_header("request-id", "req_recorded")
            self.end_headers()
            self.wfile.write(data)

        do_GET = _handle  # noqa: N815 - the names http.server looks up
        do_POST = _handle  # noqa: N815
        do_DELETE = _handle  # noqa: N815

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
