"""The Dockerfile and compose.yaml cannot be run here (no Docker engine); check what can be read."""

from __future__ import annotations

import fnmatch
import re
from typing import Any

import yaml

from app.config import PROJECT_ROOT, Settings


def _compose() -> dict[str, Any]:
    document = yaml.safe_load((PROJECT_ROOT / "compose.yaml").read_text())
    assert isinstance(document, dict)
    return document


def _dockerfile_copies() -> list[str]:
    """Sources of the COPY instructions that take files from the build context."""
    text = (PROJECT_ROOT / "Dockerfile").read_text()
    sources = []
    for line in text.splitlines():
        if not line.startswith("COPY ") or "--from=" in line:
            continue
        parts = [p for p in line.split()[1:] if not p.startswith("--")]
        sources += parts[:-1]
    return sources


def test_the_dockerfile_copies_files_that_exist_and_are_not_dockerignored() -> None:
    ignored = [
        line.strip()
        for line in (PROJECT_ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith(("#", "!"))
    ]
    sources = _dockerfile_copies()
    assert {"app", "migrations", "templates", "static", "alembic.ini"} <= set(sources)
    for source in sources:
        assert (PROJECT_ROOT / source).exists(), source
        assert not any(fnmatch.fnmatch(source, pattern) for pattern in ignored), source


def test_the_dockerfile_serves_the_app_factory_as_a_non_root_user_with_a_healthcheck() -> None:
    text = (PROJECT_ROOT / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", text, re.MULTILINE)) == 2  # build and runtime stages
    users = re.findall(r"^USER (\S+)", text, re.MULTILINE)
    assert users and users[-1] not in ("root", "0")
    assert "/healthz" in text.split("HEALTHCHECK", 1)[1]
    assert '"app.main:create_app", "--factory"' in text


def test_compose_restarts_every_long_running_service_that_dies() -> None:
    # A worker that crashes must come back (docs/soak.md); the one-shot migration must not loop.
    for name, service in _compose()["services"].items():
        assert service.get("restart") == ("no" if name == "migrate" else "unless-stopped"), name


def test_compose_runs_app_and_worker_on_postgresql_and_meilisearch_after_migrating() -> None:
    services = _compose()["services"]
    assert {"postgres", "meilisearch", "migrate", "app", "worker"} <= set(services)
    assert "odop db upgrade" in " ".join(services["migrate"]["command"])
    for name in ("app", "worker"):
        service = services[name]
        env = service["environment"]
        assert env["ODOP_DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert "@postgres:5432/" in env["ODOP_DATABASE_URL"]
        assert env["ODOP_MEILI_URL"] == "http://meilisearch:7700"
        assert env["ODOP_RUN_JOBS_IN_PROCESS"] == "false"
        assert env["ODOP_ENV"] == "production"
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["worker"]["command"] == ["odop", "worker"]
    assert "WEB_CONCURRENCY" in services["app"]["environment"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_the_compose_production_settings_pass_the_production_checks() -> None:
    env = _compose()["services"]["app"]["environment"]
    resolved = {
        key.removeprefix("ODOP_").lower(): re.sub(r"\$\{[A-Z_]+:?[-?]([^}]*)\}", r"\1", value)
        for key, value in env.items()
        if key.startswith("ODOP_")
    }
    resolved["secret_key"] = "x" * 40  # the operator must provide it; compose refuses to start
    settings = Settings.model_validate(resolved)  # validates without reading the environment
    assert settings.env == "production" and not settings.is_sqlite
    assert settings.effective_search_backend == "meilisearch"


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_image() -> None:
    ignored = (PROJECT_ROOT / ".dockerignore").read_text().splitlines()
    assert {".env", ".venv", "var", ".git"} <= set(ignored)
