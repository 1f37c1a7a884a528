"""The suite's apps share their built routes (tests/shared_routes.py); that is only sound while
no test overrides a dependency, and only fast while FastAPI still builds routes where the shim
hooks in."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from fastapi import routing

from app.config import Settings
from app.main import create_app
from tests.shared_routes import share_route_contexts

TESTS = Path(__file__).parent


def test_the_route_sharing_is_active_for_this_fastapi() -> None:
    assert share_route_contexts(), (
        "FastAPI no longer builds included routes in _IncludedRouter._build_effective_context: "
        "update tests/shared_routes.py, or the suite pays the route build in every test"
    )


async def test_two_apps_serve_from_the_same_built_route(
    tmp_path: Path, client: httpx.AsyncClient
) -> None:
    def candidates(settings: Settings) -> list[object]:
        app = create_app(settings)
        included = [r for r in app.router.routes if isinstance(r, routing._IncludedRouter)]
        return [c for branch in included for c in branch.effective_candidates()]

    first = Settings(env="test", media_dir=tmp_path / "a", log_level="WARNING")
    second = first.model_copy(update={"media_dir": tmp_path / "b"})
    shared = {id(c) for c in candidates(first)} & {id(c) for c in candidates(second)}
    assert len(shared) >= 100  # every page and API route, not a few
    # and an app whose routes were all built by an earlier one serves its pages
    assert (await client.get("/account/sign-in")).status_code == 200


def test_no_test_overrides_a_dependency() -> None:
    """A shared route keeps the first app as its dependency-overrides provider."""
    overriding = [
        path.name
        for path in TESTS.rglob("*.py")
        if path.name != Path(__file__).name
        and re.search(r"dependency_overrides\s*(\[|=|\.update)", path.read_text(encoding="utf-8"))
    ]
    assert overriding == []
