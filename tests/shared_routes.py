"""Every test builds its own app, and FastAPI builds each included route's handler, dependency
tree and pydantic validators again for every app, lazily on its first request: about 0.3-0.5 s of
CPU per test, more than most tests spend on their own work. The apps of one test run differ only
in their settings and database, never in their routes, so the built route contexts are shared
between them, keyed by everything the build reads.

This reaches into a private part of FastAPI (``_IncludedRouter._build_effective_context``,
FastAPI >= 0.121). When that is gone, ``share_route_contexts`` returns False and the suite only
runs slower; ``tests/test_shared_routes.py`` says so loudly.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from fastapi import routing

_built: dict[Hashable, Any] = {}


def _key(context: Any, route: Any) -> Hashable:
    """What the build reads from the include context. The dependency overrides provider is the
    app itself: no test overrides dependencies (``test_shared_routes`` checks), so any app's
    serves."""
    return (
        id(route),
        id(context.included_router),
        context.prefix,
        tuple(context.tags),
        tuple((d.dependency, d.use_cache, getattr(d, "scope", None)) for d in context.dependencies),
        repr(context.default_response_class),
        repr(sorted(context.responses.items(), key=str)),
        tuple(id(c) for c in context.callbacks),
        context.deprecated,
        context.include_in_schema,
        repr(context.generate_unique_id_function),
        repr(context.strict_content_type),
        context.max_body_size,
        repr(context.form_limits),
    )


def share_route_contexts() -> bool:
    """Make every app of this process reuse the route contexts an earlier app built."""
    included = getattr(routing, "_IncludedRouter", None)
    build: Callable[..., Any] | None = getattr(included, "_build_effective_context", None)
    if included is None or build is None or getattr(build, "shared", False):
        return build is not None and getattr(build, "shared", False)

    def build_once(self: Any, route: Any) -> Any:
        key = _key(self.include_context, route)
        if key not in _built:
            _built[key] = build(self, route)
        return _built[key]

    build_once.shared = True  # type: ignore[attr-defined]
    included._build_effective_context = build_once
    return True
