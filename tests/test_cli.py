"""The `odop` command, run as a user would, against a throwaway SQLite database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture
def odop(tmp_path: Path):  # type: ignore[no-untyped-def]
    env = {
        **os.environ,
        "ODOP_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}",
        "ODOP_MEDIA_DIR": str(tmp_path / "media"),
        "COLUMNS": "200",
    }

    def run(
        *args: str, extra_env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "app.cli", *args],
            env={**env, **(extra_env or {})},
            cwd=PROJECT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    return run


def _row(output: str, table: str) -> list[str]:
    line = next(line for line in output.splitlines() if f" {table} " in line)
    return [cell.strip() for cell in line.strip("│┃ ").split("│")]


def test_migrate_seed_twice_admin_and_rates(odop) -> None:  # type: ignore[no-untyped-def]
    assert odop("db", "upgrade").returncode == 0
    assert odop("db", "check").returncode == 0

    first = odop("seed", "reference")
    assert first.returncode == 0, first.stderr
    assert _row(first.stdout, "states") == ["states", "36", "0", "0"]
    second = odop("seed", "reference")
    assert _row(second.stdout, "odop_products") == ["odop_products", "0", "0", "1011"]

    created = odop(
        "admin",
        "create",
        "--email",
        "Root@Example.org",
        "--name",
        "Root",
        extra_env={"ODOP_ADMIN_PASSWORD": "a long enough passphrase"},
    )
    assert created.returncode == 0, created.stdout + created.stderr
    assert "Root@example.org" in created.stdout
    duplicate = odop(
        "admin",
        "create",
        "--email",
        "root@example.org",
        "--name",
        "Root",
        extra_env={"ODOP_ADMIN_PASSWORD": "a long enough passphrase"},
    )
    assert duplicate.returncode == 1
    assert "already exists" in duplicate.stdout

    assert odop("rates", "set", "USD", "84.125", "--date", "2026-11-01").returncode == 0
    refused = odop("rates", "set", "USD", "0")
    assert refused.returncode == 1
    assert "positive" in refused.stdout
    listing = odop("rates", "list")
    assert "84.125" in listing.stdout


def test_worker_once_runs_due_jobs_and_exits(odop) -> None:  # type: ignore[no-untyped-def]
    assert odop("db", "upgrade").returncode == 0
    result = odop("worker", "--once")
    assert result.returncode == 0, result.stderr
    assert "Ran 0 jobs" in result.stdout


# Libraries that only some commands or requests need: a server worker must not hold them from
# startup (each is megabytes of RSS per worker; docs/benchmarks.md).
LOADED_ON_FIRST_USE = ("alembic", "stripe", "meilisearch", "requests", "cryptography", "PIL")


def test_a_server_worker_does_not_load_what_only_some_commands_need() -> None:
    probe = (
        "import sys, app.cli, app.main\n"
        "app.main.create_app()\n"
        f"print(sorted(m for m in {LOADED_ON_FIRST_USE!r} if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=PROJECT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
