"""Every environment ``build_environment`` makes shares compiled templates: the suite builds an
app per test, and each would otherwise compile every template it renders again."""

from __future__ import annotations

from typing import Any

import pytest

from app.web import build_environment


def test_a_second_environment_loads_compiled_templates_without_compiling(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = build_environment()
    first.get_template("base.html")
    second = build_environment()

    def compile_again(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("compiled base.html again")

    monkeypatch.setattr(second, "compile", compile_again)
    rendered = second.get_template("base.html")
    assert rendered.name == "base.html"
    with pytest.raises(AssertionError, match="compiled"):
        second.from_string("{{ 1 }}")  # a template the cache has not seen is compiled
