"""Templates build URLs through RouteIndex: the same path as Starlette's walk over every route."""

from __future__ import annotations

import pytest
from fastapi import FastAPI, Request
from starlette.routing import NoMatchFound

from app.web import REPEATED_LINKS, RouteIndex, Templates


def _sample(name: str) -> str:
    return "7" if name.endswith("id") or name in {"number", "page"} else f"x-{name}"


def _named_routes(app: FastAPI) -> list[tuple[str, dict[str, str]]]:
    found = []
    for route in RouteIndex(app.router).leaves():
        name = getattr(route, "name", None)
        if name:
            params = {key: _sample(key) for key in getattr(route, "param_convertors", {})}
            found.append((name, params))
    return found


def test_every_named_route_gives_the_path_starlette_gives(app: FastAPI) -> None:
    index = RouteIndex(app.router)
    routes = _named_routes(app)
    assert len(routes) > 100
    for _ in range(2):  # the first call finds the route, the second asks it directly
        for name, params in routes:
            try:
                expected = app.url_path_for(name, **params)
            except (NoMatchFound, AssertionError, ValueError):
                continue
            assert index.url_path_for(name, **params) == expected, (name, params)
    district = index.url_path_for("district", state_slug="bihar", district_slug="gaya")
    assert district == "/states/bihar/gaya"
    assert index.url_path_for("static", path="css/site.css") == "/static/css/site.css"


def test_an_unknown_name_or_parameter_is_refused_as_starlette_refuses_it(app: FastAPI) -> None:
    index = RouteIndex(app.router)
    with pytest.raises(NoMatchFound):
        index.url_path_for("no-such-route")
    index.url_path_for("state", state_slug="bihar")
    with pytest.raises(NoMatchFound):
        index.url_path_for("state", state_slug="bihar", extra="1")


def test_templates_memoise_repeated_links_only_and_give_the_same_paths(app: FastAPI) -> None:
    names = {name for name, _ in _named_routes(app)}
    assert names >= REPEATED_LINKS  # a renamed route would silently stop being memoised
    request = Request({"type": "http", "app": app, "router": app.router})
    templates = Templates(app.state.settings)
    url_for = templates.url_for(request)
    for name, params in _named_routes(app):
        try:
            expected = app.url_path_for(name, **params)
        except (NoMatchFound, AssertionError, ValueError):
            continue
        assert url_for(name, **params) == url_for(name, **params) == expected, (name, params)
    memoised = templates.repeated_links.cache_info().currsize
    url_for("quote_new", listing_id=123456)
    url_for("seller_public", seller_slug="a-seller")
    url_for("district", state_slug="bihar", district_slug="gaya")
    assert templates.repeated_links.cache_info().currsize == memoised + 1
