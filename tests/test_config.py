from __future__ import annotations

import pytest

from app.config import InsecureProductionConfig, Settings

STRONG = "x" * 40
PG = "postgresql+asyncpg://app@db/odop"


def test_production_refuses_the_default_secret() -> None:
    with pytest.raises(InsecureProductionConfig, match="ODOP_SECRET_KEY"):
        Settings(env="production", database_url=PG, payment_provider="stripe")


def test_production_refuses_sqlite() -> None:
    with pytest.raises(InsecureProductionConfig, match="PostgreSQL"):
        Settings(env="production", secret_key=STRONG, payment_provider="stripe")


def test_production_refuses_the_payment_sandbox() -> None:
    with pytest.raises(InsecureProductionConfig, match="sandbox"):
        Settings(env="production", secret_key=STRONG, database_url=PG)


def test_production_refuses_stripe_without_its_keys() -> None:
    with pytest.raises(InsecureProductionConfig, match="ODOP_STRIPE_WEBHOOK_SECRET"):
        Settings(
            env="production",
            secret_key=STRONG,
            database_url=PG,
            payment_provider="stripe",
            stripe_secret_key="sk_live_x",
        )


def test_production_accepts_a_complete_configuration() -> None:
    settings = Settings(
        env="production",
        secret_key=STRONG,
        database_url=PG,
        payment_provider="stripe",
        stripe_secret_key="sk_live_x",
        stripe_webhook_secret="whsec_x",
    )
    assert settings.env == "production"
    offline = Settings(
        env="production", secret_key=STRONG, database_url=PG, payment_provider="offline"
    )
    assert offline.payment_provider == "offline"


def test_search_backend_defaults_follow_meilisearch_url() -> None:
    assert Settings(meili_url="").effective_search_backend == "database"
    assert Settings(meili_url="http://127.0.0.1:7700").effective_search_backend == "meilisearch"
    assert (
        Settings(meili_url="http://x", search_backend="database").effective_search_backend
        == "database"
    )


def test_settings_read_odop_prefixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ODOP_BASE_URL", "https://odop.example")
    assert Settings().base_url == "https://odop.example"
