"""All settings in one place, read from ODOP_* environment variables (or a .env file)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEVELOPMENT_SECRET_KEY = "development-secret-key-change-me"  # noqa: S105 - refused in production
# Signs the payment sandbox's events to our own webhook; the sandbox is refused in production.
DEVELOPMENT_SANDBOX_WEBHOOK_SECRET = "whsec_odop_development_sandbox"  # noqa: S105


class InsecureProductionConfig(RuntimeError):
    """Raised at start-up when production runs with a development default."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ODOP_", env_file=".env", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    secret_key: str = DEVELOPMENT_SECRET_KEY
    database_url: str = f"sqlite+aiosqlite:///{PROJECT_ROOT / 'var' / 'odop.sqlite3'}"
    database_echo: bool = False
    base_url: str = "http://127.0.0.1:8000"
    media_dir: Path = PROJECT_ROOT / "var" / "media"
    mail_dir: Path = PROJECT_ROOT / "var" / "mail"
    smtp_url: str = ""
    mail_from: str = "ODOP Bazaar <no-reply@odop-bazaar.local>"
    smtp_timeout_seconds: float = Field(default=20.0, gt=0)
    # Text messages: a folder in development (listed at /dev/sms), an HTTP gateway when set.
    sms_dir: Path = PROJECT_ROOT / "var" / "sms"
    sms_gateway_url: str = ""
    sms_gateway_api_key: str = ""
    sms_gateway_format: Literal["json", "form"] = "json"
    sms_sender: str = "ODOPBZ"
    sms_timeout_seconds: float = Field(default=10.0, gt=0)
    phone_code_minutes: int = Field(default=10, ge=1, le=60)
    phone_codes_per_number_hour: int = Field(default=5, ge=1)
    phone_codes_per_ip_hour: int = Field(default=30, ge=1)
    session_idle_minutes: int = Field(default=720, ge=1)
    session_absolute_hours: int = Field(default=168, ge=1)
    password_reset_minutes: int = Field(default=60, ge=5)
    email_token_hours: int = Field(default=48, ge=1)
    sign_in_max_failures_per_account_hour: int = Field(default=100, ge=1)
    sign_in_max_failures_per_ip_hour: int = Field(default=300, ge=1)
    payment_provider: Literal["sandbox", "stripe", "offline"] = "sandbox"
    stripe_secret_key: str = ""
    stripe_webhook_secret: str = ""
    # Stripe's API address; tests point the real library at a local recording server.
    stripe_api_base: str = "https://api.stripe.com"
    sandbox_webhook_secret: str = DEVELOPMENT_SANDBOX_WEBHOOK_SECRET
    # Offline provider: what a buyer paying by bank transfer is told (account, IFSC, UPI id).
    offline_payment_instructions: str = (
        "Pay by NEFT, RTGS or UPI to ODOP Bazaar Payments, account 000000000000, "
        "IFSC ODOP0000001 (development placeholder), quoting the order number."
    )
    # Ledger: the platform's commission in basis points of each GST-inclusive sale (500 = 5%).
    platform_commission_basis_points: int = Field(default=500, ge=0, le=10_000)
    # Orders: how long stock stays reserved for an order waiting for its payment.
    reservation_minutes: int = Field(default=30, ge=1, le=24 * 60)
    # Procurement (buying modes are rules: direct up to the first limit, L1 up to the second,
    # a bid above it). Amounts in paise, GST-inclusive.
    procurement_direct_limit_paise: int = Field(default=5_000_000, ge=0)
    procurement_l1_limit_paise: int = Field(default=100_000_000, ge=0)
    # Above this PO total, the user who raised a PO may not record or approve its payment.
    procurement_separation_limit_paise: int = Field(default=5_000_000, ge=0)
    procurement_split_window_days: int = Field(default=30, ge=1)
    procurement_po_accept_days: int = Field(default=7, ge=1)
    procurement_acceptance_days: int = Field(default=10, ge=1)
    procurement_payment_due_days: int = Field(default=30, ge=1)
    procurement_min_l1_offers: int = Field(default=3, ge=1)
    search_backend: Literal["database", "meilisearch"] | None = None
    meili_url: str = ""
    meili_api_key: str = ""
    meili_index: str = "listings"
    search_cache_seconds: float = Field(default=60.0, ge=0)
    run_jobs_in_process: bool = True
    job_poll_seconds: float = Field(default=1.0, gt=0)
    job_max_attempts: int = Field(default=8, ge=1)
    display_currencies: list[str] = ["USD", "EUR", "GBP", "AED"]
    # PostgreSQL connections each worker keeps (half as many more may open under a burst): size
    # it to the requests a worker has in flight, so connections are not reopened under load.
    db_pool_size: int = Field(default=32, ge=1, le=500)
    # Catalog: how long home/state counts, featured places and rates are cached per process.
    catalog_cache_seconds: float = Field(default=60.0, ge=0)
    # Anonymous catalog pages and API responses kept in memory per process (0 turns it off).
    page_cache_seconds: float = Field(default=10.0, ge=0)
    page_cache_max_entries: int = Field(default=2000, ge=1)
    page_cache_max_bytes: int = Field(default=8 * 1024 * 1024, ge=0)
    # Sellers: uploads (documents in private storage, listing photos in public storage).
    upload_max_request_bytes: int = Field(default=12 * 1024 * 1024, ge=1024)
    document_max_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    photo_max_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    image_max_pixels: int = Field(default=40_000_000, ge=10_000)
    listing_max_photos: int = Field(default=8, ge=1)
    log_level: str = "INFO"
    log_json: bool = True

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def effective_search_backend(self) -> Literal["database", "meilisearch"]:
        if self.search_backend is not None:
            return self.search_backend
        return "meilisearch" if self.meili_url else "database"

    @model_validator(mode="after")
    def refuse_development_defaults_in_production(self) -> Settings:
        if self.env != "production":
            return self
        problems = []
        if self.secret_key == DEVELOPMENT_SECRET_KEY or len(self.secret_key) < 32:
            problems.append("ODOP_SECRET_KEY must be set to a random value of 32+ characters")
        if self.is_sqlite:
            problems.append("ODOP_DATABASE_URL must point at PostgreSQL, not SQLite")
        if self.payment_provider == "sandbox":
            problems.append("ODOP_PAYMENT_PROVIDER=sandbox is for development only")
        if self.payment_provider == "stripe" and not (
            self.stripe_secret_key and self.stripe_webhook_secret
        ):
            problems.append(
                "ODOP_PAYMENT_PROVIDER=stripe needs ODOP_STRIPE_SECRET_KEY and "
                "ODOP_STRIPE_WEBHOOK_SECRET"
            )
        if problems:
            raise InsecureProductionConfig("; ".join(problems))
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
