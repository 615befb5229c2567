"""Typed settings, read once from ``DETALKA_*`` environment variables and ``.env``."""

from __future__ import annotations

import ipaddress
import json
import tempfile
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from detalka.adapters.storage import FileStorage, S3Options, S3Storage, storage_for

# The development secret is public on purpose: production refuses to start with it.
DEFAULT_SECRET = "detalka-development-secret-do-not-use-in-production"

DATABASE_SCHEMES = {"sqlite": "sqlite", "postgres": "postgres", "postgresql": "postgres"}
BROKER_SCHEMES = {"memory", "redis", "rediss", "amqp", "amqps"}
EVENTS_SCHEMES = {"memory", "redis", "rediss"}
CACHE_SCHEMES = EVENTS_SCHEMES
SMTP_SCHEMES = {"smtp", "smtps"}
HTTP_SCHEMES = {"http", "https"}


class ConfigError(Exception):
    """A setting that stops start-up; its message is one line meant for an operator."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DETALKA_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    env: Literal["development", "production"] = "development"
    data_dir: Path = Path("./var")
    database_url: str = ""
    broker_url: str = "memory://"
    events_url: str = "memory://"
    # Names the Redis events channel (with the URL's database index): deployments sharing
    # one Redis never wake each other's subscribers.
    events_prefix: str = Field(default="detalka", pattern=r"^[A-Za-z0-9_.-]{1,40}$")
    log_format: Literal["json", "text"] = "json"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    smtp_url: str | None = None
    mail_from: str = "Детализация счёта <no-reply@detalka.local>"
    sms_gateway_url: str | None = None
    # Report files: file:///path (default: <data dir>/files) or s3://bucket/prefix.
    storage_url: str = ""
    s3_endpoint_url: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    s3_region: str = "us-east-1"
    captcha: Literal["image", "disabled"] = "image"
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET)
    graphiql: bool | None = None
    public_url: str = "http://127.0.0.1:8000"
    session_ttl_hours: int = Field(default=12, ge=1, le=24 * 30)
    history_years: int = Field(default=3, ge=1, le=10)
    document_ttl_hours: int = Field(default=72, ge=1)
    # Browser origins (scheme://host[:port]) besides the server's own that may call the API
    # with CORS and open its WebSocket: JSON or comma-separated. Unset: the usual local
    # dev-server origins in development, none in production.
    allowed_origins: Annotated[list[str] | None, NoDecode] = None
    # Where automatic persisted queries are kept: memory:// (this process) or redis://
    # (every API process). Unset: DETALKA_EVENTS_URL's Redis when it is one, else memory.
    cache_url: str = ""
    persisted_queries_max_bytes: int = Field(default=16 * 2**20, ge=2**16, le=2**32)
    # The largest GraphQL request body (HTTP) or WebSocket message, and GET query string:
    # refused with REQUEST_TOO_LARGE before it is read (docs/security.md, "Input limits").
    max_body_bytes: int = Field(default=2**20, ge=2**12, le=2**26)
    # A query or mutation over HTTP still running after this long answers TIMEOUT.
    request_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    # Query cost (docs/aggregators.md): an operation costing more is refused before it runs;
    # each caller (API token, session, or client address) has a bucket of COST_BUDGET points
    # refilled at COST_RESTORE_RATE a second, shared by every API process through CACHE_URL.
    query_cost_max: int = Field(default=1000, ge=1, le=1_000_000)
    cost_budget: int = Field(default=1000, ge=1, le=1_000_000)
    cost_restore_rate: float = Field(default=50.0, gt=0, le=1_000_000)
    # A live subscription re-reads the database this often when no event woke it.
    subscription_poll_seconds: float = Field(default=15.0, gt=0, le=300)
    # A render's claim: renewed every third of it; a dead worker's order is taken over
    # this long after its last heartbeat.
    render_lease_seconds: float = Field(default=30.0, ge=1, le=3600)
    # -- access limits (#11, docs/security.md) --
    # An API token lives this long unless apiTokenCreate asks less, never more than the max.
    api_token_ttl_days: int = Field(default=90, ge=1, le=3650)
    api_token_max_ttl_days: int = Field(default=365, ge=1, le=3650)
    # Per subscriber: open WebSockets (per API process), operations per WebSocket, and
    # orders waiting or rendering at once.
    max_sockets_per_subscriber: int = Field(default=10, ge=1, le=1000)
    max_subscriptions_per_socket: int = Field(default=5, ge=1, le=100)
    max_queued_orders: int = Field(default=10, ge=1, le=1000)
    # Per client address: captchas a minute, and failed anonymous sign-ins per 15 minutes.
    captchas_per_minute: int = Field(default=20, ge=1, le=10000)
    sign_in_failures_per_address: int = Field(default=30, ge=1, le=100000)
    # Proxies whose X-Forwarded-For is believed (IPs or networks, JSON or comma-separated);
    # unset: the client address is the TCP peer's.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _origins_from_text(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [part.strip() for part in text.split(",") if part.strip()]

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxies_from_text(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [part.strip() for part in text.split(",") if part.strip()]

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_networks(cls, value: list[str]) -> list[str]:
        for network in value:
            ipaddress.ip_network(network, strict=False)  # a ValueError names the bad one
        return value

    @field_validator("allowed_origins")
    @classmethod
    def _origins_are_origins(cls, value: list[str] | None) -> list[str] | None:
        for origin in value or ():
            if not _is_origin(origin):
                raise ValueError(f"{origin!r} is not an origin like https://app.example.ru")
        return value

    @model_validator(mode="after")
    def _derive_defaults(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite://{self.data_dir / 'detalka.sqlite3'}"
        if not self.cache_url:
            shared = urlsplit(self.events_url).scheme in {"redis", "rediss"}
            self.cache_url = self.events_url if shared else "memory://"
        if self.graphiql is None:
            self.graphiql = not self.is_production
        if self.api_token_ttl_days > self.api_token_max_ttl_days:
            raise ValueError("DETALKA_API_TOKEN_TTL_DAYS is over DETALKA_API_TOKEN_MAX_TTL_DAYS")
        return self

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def database_kind(self) -> str:
        return DATABASE_SCHEMES[urlsplit(self.database_url).scheme]

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"

    @property
    def files_url(self) -> str:
        """Where report files go: ``DETALKA_STORAGE_URL``, else ``<data dir>/files``."""
        return self.storage_url or f"file://{self.files_dir.resolve()}"

    @property
    def scratch_dir(self) -> Path:
        """Where a worker renders before uploading to object storage."""
        return self.data_dir / "scratch"

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    def check(self) -> None:
        """Raise ConfigError for a setting that must stop start-up."""
        _check_scheme("DETALKA_DATABASE_URL", self.database_url, set(DATABASE_SCHEMES))
        _check_scheme("DETALKA_BROKER_URL", self.broker_url, BROKER_SCHEMES)
        _check_scheme("DETALKA_EVENTS_URL", self.events_url, EVENTS_SCHEMES)
        _check_scheme("DETALKA_STORAGE_URL", self.files_url, {"file", "s3"})
        if self.storage_url.startswith("s3://") and not urlsplit(self.storage_url).netloc:
            raise ConfigError("DETALKA_STORAGE_URL: s3:// needs a bucket, s3://bucket/prefix")
        _check_scheme("DETALKA_CACHE_URL", self.cache_url, CACHE_SCHEMES)
        if self.smtp_url:
            _check_scheme("DETALKA_SMTP_URL", self.smtp_url, SMTP_SCHEMES)
        if self.sms_gateway_url:
            _check_scheme("DETALKA_SMS_GATEWAY_URL", self.sms_gateway_url, HTTP_SCHEMES)
        if self.query_cost_max > self.cost_budget:
            raise ConfigError(
                "DETALKA_QUERY_COST_MAX: over DETALKA_COST_BUDGET, so a query under the maximum "
                "could never fit in a full budget"
            )
        if self.is_production:
            self._check_production()
        _check_writable(self.data_dir)

    def _check_production(self) -> None:
        secret = self.secret_key.get_secret_value()
        if secret == DEFAULT_SECRET or len(secret) < 32:
            raise ConfigError(
                "DETALKA_SECRET_KEY: production needs a secret of at least 32 characters, "
                "not the development default"
            )
        if self.captcha == "disabled":
            raise ConfigError("DETALKA_CAPTCHA=disabled is for development and tests only")
        if self.graphiql:
            raise ConfigError("DETALKA_GRAPHIQL: GraphiQL and introspection stay off in production")


def _is_origin(text: str) -> bool:
    """scheme://host[:port] and nothing more (a trailing slash is forgiven)."""
    try:
        parts = urlsplit(text.strip())
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return False
    extra = parts.query or parts.fragment or parts.username or parts.path not in ("", "/")
    return parts.scheme in HTTP_SCHEMES and bool(parts.hostname) and not extra


def _check_scheme(name: str, url: str, allowed: set[str]) -> None:
    scheme = urlsplit(url).scheme
    if scheme not in allowed:
        expected = ", ".join(sorted(allowed))
        raise ConfigError(f"{name}: unknown URL scheme {scheme!r} (expected one of: {expected})")


def _check_writable(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-check-"):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(f"DETALKA_DATA_DIR: {path} is not writable ({reason})") from None


def load_settings() -> Settings:
    """Read, validate and check the settings; any problem becomes a one-line ConfigError."""
    try:
        settings = Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        field = "_".join(str(part) for part in first["loc"]) or "settings"
        raise ConfigError(f"DETALKA_{field.upper()}: {first['msg']}") from None
    settings.check()
    return settings


def storage_of(settings: Settings) -> FileStorage | S3Storage:
    """The report file store the settings name (``DETALKA_STORAGE_URL``)."""
    secret = settings.s3_secret_access_key
    options = S3Options(
        endpoint_url=settings.s3_endpoint_url,
        access_key_id=settings.s3_access_key_id,
        secret_access_key=secret.get_secret_value() if secret else None,
        region=settings.s3_region,
    )
    return storage_for(settings.files_url, settings.scratch_dir, options)
