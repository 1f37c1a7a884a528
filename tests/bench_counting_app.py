"""A bare ASGI app for tests/test_bench.py that counts the requests to each path (with its query).

`/healthz` answers 200 (the harness waits for it) and `/counts` answers the counts so far as JSON.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Awaitable, Callable

from bench import hello
from bench.hello import Message, Scope

counts: Counter[str] = Counter()


async def app(
    scope: Scope,
    receive: Callable[[], Awaitable[Message]],
    send: Callable[[Message], Awaitable[None]],
) -> None:
    if scope["type"] != "http":
        await hello.app(scope, receive, send)  # the lifespan handshake
        return
    query = scope["query_string"].decode()
    path = f"{scope['path']}?{query}" if query else scope["path"]
    body = b"ok"
    if path == "/counts":
        body = json.dumps(counts).encode()
    elif path != "/healthz":
        counts[path] += 1
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})
