"""`odop search ...` as an operator runs it, against a throwaway SQLite database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]


def test_setup_reindex_and_synonym_commands(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "ODOP_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}",
        "ODOP_SEARCH_BACKEND": "database",
        "COLUMNS": "200",
    }

    def odop(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "app.cli", *args],
            env=env,
            cwd=PROJECT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    assert odop("db", "upgrade").returncode == 0
    assert "Search index ready (database)" in odop("search", "setup").stdout
    assert "Indexed 0 listings" in odop("search", "reindex").stdout
    listed = odop("search", "synonyms", "list").stdout
    assert "kanjeevaram" in listed and "बनारसी" in listed
    lonely = odop("search", "synonyms", "add", "bomma")
    assert lonely.returncode == 1 and "at least two different words" in lonely.stdout
    added = odop("search", "synonyms", "add", "bomma", "Toy", "--note", "Telugu")
    assert added.returncode == 0 and "bomma, toy" in added.stdout
    group_id = added.stdout.split()[2]
    assert "bomma, toy" in odop("search", "synonyms", "list").stdout
    assert odop("search", "synonyms", "remove", group_id).returncode == 0
    assert "bomma" not in odop("search", "synonyms", "list").stdout
    assert odop("search", "synonyms", "remove", group_id).returncode == 1
