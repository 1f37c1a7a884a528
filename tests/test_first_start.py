"""A deployment that works on its first start, and a second start that does not redo work:
`odop search ensure` builds the index only when it is missing or out of date, `odop seed demo`
leaves the demo listings searchable, the Makefile and compose.yaml run `ensure` on every start,
and in development the base URL follows HOST and PORT."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from app import cli
from app.config import get_settings

PROJECT = Path(__file__).resolve().parent.parent


def test_ensure_indexes_once_then_only_when_the_index_is_out_of_date(
    tmp_path: Path, demo_media: Path
) -> None:
    database = tmp_path / "first.sqlite3"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ODOP_")},
        "ODOP_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "ODOP_MEDIA_DIR": str(demo_media),
        "ODOP_SEARCH_BACKEND": "database",
        "COLUMNS": "200",
    }

    def odop(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "app.cli", *args],
            env=env,
            cwd=PROJECT,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    odop("db", "upgrade")
    odop("seed", "reference")
    assert "Search index rebuilt: 0 listings" in odop("search", "ensure")  # none yet
    assert "up to date" in odop("search", "ensure")
    seeded = odop("seed", "demo")
    with sqlite3.connect(database) as db:
        listed = db.execute("SELECT count(*) FROM listings WHERE status = 'published'").fetchone()
        indexed = db.execute("SELECT count(*) FROM search_listings").fetchone()
    assert "Search index rebuilt" in seeded and indexed[0] > 0  # the demo is searchable
    assert indexed[0] <= listed[0]
    assert "up to date" in odop("search", "ensure")  # a second `make run`: nothing rebuilt
    with sqlite3.connect(database) as db:  # an index that lost a listing is rebuilt
        db.execute(
            "DELETE FROM search_listings"
            " WHERE listing_id = (SELECT min(listing_id) FROM search_listings)"
        )
    assert f"rebuilt: {indexed[0]} listings" in odop("search", "ensure")


def test_make_and_compose_set_up_and_fill_the_index_on_every_start() -> None:
    makefile = (PROJECT / "Makefile").read_text()
    setup_db = makefile.split("setup-db:")[1].split("\n\n")[0]
    assert "odop search ensure" in setup_db and "search reindex" not in setup_db
    compose = (PROJECT / "compose.yaml").read_text()
    migrate = compose.split("\n  migrate:\n")[1].split("\n\n")[0]
    assert "odop search ensure" in migrate
    assert "meilisearch:" in migrate  # it waits for Meilisearch to be healthy


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    import uvicorn

    calls: list[dict[str, Any]] = []

    def fake_run(*args: Any, **kwargs: Any) -> None:
        calls.append({**kwargs, "base_url": get_settings().base_url})

    monkeypatch.setattr(uvicorn, "run", fake_run)
    for name in ("ODOP_BASE_URL", "ODOP_ENV", "HOST", "PORT"):
        monkeypatch.setenv(name, "")  # recorded, so whatever `serve` sets is undone after
        monkeypatch.delenv(name)
    monkeypatch.chdir(PROJECT / "tests")  # no .env file here
    get_settings.cache_clear()
    yield calls
    get_settings.cache_clear()


def test_development_base_url_follows_host_and_port(
    served: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    assert runner.invoke(cli.app, ["serve", "--port", "8765"]).exit_code == 0
    assert served[-1]["base_url"] == "http://127.0.0.1:8765"
    os.environ.pop("ODOP_BASE_URL")  # a new process
    get_settings.cache_clear()
    monkeypatch.setenv("PORT", "9001")
    monkeypatch.setenv("HOST", "0.0.0.0")  # noqa: S104
    assert runner.invoke(cli.app, ["serve"]).exit_code == 0
    assert served[-1]["base_url"] == "http://127.0.0.1:9001"
    monkeypatch.setenv("ODOP_BASE_URL", "https://bazaar.example")  # set: kept as it is
    get_settings.cache_clear()
    assert runner.invoke(cli.app, ["serve", "--port", "8000"]).exit_code == 0
    assert served[-1]["base_url"] == "https://bazaar.example"
