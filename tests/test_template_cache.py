"""Every environment ``build_environment`` makes shares compiled templates: the suite builds an
app per test, and each would otherwise compile every template it renders again."""

from __future__ import annotations

from typing import Any

import pytest

from app.config import Settings
from app.web import Templates, build_environment


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


def test_only_development_checks_templates_on_disk_at_every_render(settings: Settings) -> None:
    # A page checks each template it extends or imports with a stat() call when auto_reload is on.
    assert settings.env != "development"
    assert Templates(settings).env.auto_reload is False
    assert Templates(settings.model_copy(update={"env": "development"})).env.auto_reload is True
