"""Every setting in one typed tree, read from the environment (prefix ``PRINTGATE_``).

Scale-out switches keep their conventional unprefixed names: ``DATABASE_URL``, ``REDIS_URL``.

``get_settings()`` is the tree. A room keeps its own section class (``PRINTGATE_WEBHOOK_*``:
``printgate.webhooks.settings.WebhookSettings``; ``PRINTGATE_SHOPIFY_*``, ``PRINTGATE_WOOCOMMERCE_*``:
the connectors') and reads it from the tree, ``get_settings().section(WebhookSettings)``: core never
imports a room, and every section is read the same way. The tree and each section are read again
as soon as one of their environment variables changes (``printgate serve`` sets ``REDIS_URL`` for
its embedded Redis after start-up; tests switch variables per test), and are otherwise built once.
No other module reads ``os.environ`` for a setting.
"""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

SectionT = TypeVar("SectionT", bound=BaseSettings)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PRINTGATE_", extra="ignore")

    data_dir: Path = Path("./data")
    database_url: str | None = Field(default=None, validation_alias=AliasChoices("DATABASE_URL", "PRINTGATE_DATABASE_URL"))
    redis_url: str | None = Field(default=None, validation_alias=AliasChoices("REDIS_URL", "PRINTGATE_REDIS_URL"))
    # The URL clients reach this instance at; signed upload/download URLs are built on it.
    public_url: str = "http://127.0.0.1:8000"
    # Signs upload policies and download URLs; generated once per data dir when unset.
    signing_secret: str | None = None

    # Storage: "local" (files under data_dir/files) or "s3".
    storage: str = "local"
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None

    max_upload_bytes: int = 500 * 1024 * 1024
    max_inline_file_bytes: int = 7 * 1024 * 1024
    # A JSON request body: room for an inline base64 file (max_inline_file_bytes * 4/3) and the rest.
    max_json_body_bytes: int = 16 * 1024 * 1024
    upload_expires_s: int = 300
    download_expires_s: int = 3600
    sync_wait_s: float = 27.0

    job_timeout_s: int = 600
    intake_timeout_s: int = 120
    # The preflight engine's content-analysis budget per file, as a share of the shorter job timeout
    # (``analysis_budget_s``): past it, later pages are measured for geometry only and the report
    # says so, well before the queue kills the job (the budget used to equal the intake timeout).
    analysis_budget_share: float = Field(default=0.4, gt=0.0, lt=0.9)
    # Memory one job may take on top of what its worker holds when it starts (RLIMIT_DATA in the
    # process that opens the file, inherited by the engine's helpers and Ghostscript): a file that
    # needs more ends its job `error` with a reason, and the worker lives on. 0 = no cap.
    job_memory_mb: int = Field(default=2048, ge=0)
    task_retries: int = 2
    # A running task whose heartbeat is older than this is considered orphaned and re-queued.
    stale_task_s: int = 60
    # A worker heartbeats at least this often when idle; /health counts only workers heard from
    # within it (RQ's default, 420 s, kept a killed worker "alive" for eight minutes).
    worker_ttl_s: int = 30
    # How often one worker reconciles connected stores and retries order write-backs.
    connector_tick_s: float = 300.0

    # Rate limits, per minute, shared by every API process through Redis (printgate.core.api.ratelimit);
    # 0 turns one off. Calls with a secret key, per key:
    rate_limit_per_minute: int = 6000
    # Calls with a publishable key (the widget), per key and client address:
    rate_limit_widget_per_minute: int = 600
    # Dashboard sign-in attempts, and presigned form uploads, per client address:
    rate_limit_signin_per_minute: int = 30
    rate_limit_uploads_per_minute: int = 600
    # Behind one reverse proxy of the operator's: take the client address from X-Forwarded-For.
    rate_limit_trust_forwarded: bool = False
    # The widget's per-job client token (printgate.core.api.routes.element): "enforce" (a publishable
    # key reads, changes and approves only the jobs whose token it sends) or "issue" (tokens handed
    # out and checked when sent; a publishable key alone still reaches its account's widget jobs:
    # only for a migration from a widget that does not send them yet).
    widget_job_token: Literal["enforce", "issue"] = "enforce"
    retention_days: int = 30

    # /metrics and /health's details (worker names, queue depths, instance-wide job counts): with a
    # token, for callers sending it as a bearer token; without one, for local callers only.
    ops_token: str | None = None

    log_json: bool = False
    log_level: str = "INFO"

    # Outbound calls to private / loopback addresses (webhooks, stores, URL sources): off, except
    # for development and tests (``printgate.core.net``).
    allow_private_urls: bool = False
    # Stored secrets are sealed with these keys (comma-separated, newest first; ``printgate.core.crypto``),
    # or the key file's; without either, with a key derived from the signing secret.
    encryption_key: str = ""
    encryption_key_file: str = ""

    # External programs (``printgate.core.fixes._exec``), overridable to point at a deployment's
    # own build; ``ghostscript_timeout_s`` caps one Ghostscript run (its default when unset).
    ghostscript: str = "gs"
    ghostscript_timeout_s: float | None = None
    qpdf: str = "qpdf"
    # Where the raster models live (``printgate.core.processing.models``); default under sys.prefix.
    models_dir: Path | None = None

    def section(self, cls: type[SectionT]) -> SectionT:
        """A room's section of the tree (its own class and prefix), read as the tree is."""
        return _read(cls)

    @property
    def analysis_budget_s(self) -> float:
        """Seconds of content analysis per file: a share of the intake job's timeout (and of the
        processing one, when that is shorter), so the engine's fallback runs before the kill."""
        return min(self.intake_timeout_s, self.job_timeout_s) * self.analysis_budget_share

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            url = self.database_url
            if url.startswith("postgres://"):
                url = "postgresql+psycopg://" + url[len("postgres://"):]
            elif url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url[len("postgresql://"):]
            return url
        return f"sqlite:///{(self.data_dir / 'printgate.db').resolve()}"

    @property
    def effective_signing_secret(self) -> str:
        if self.signing_secret:
            return self.signing_secret
        return _data_dir_secret(self.data_dir.resolve())


@lru_cache
def _data_dir_secret(data_dir: Path) -> str:
    """The instance's generated signing secret (created once, then read once per process)."""
    path = data_dir / "signing.key"
    if not path.exists():
        # Several API processes start at once: each writes its own temporary file and links it in;
        # the first link wins and every process reads that one (a shared temporary name made one
        # process's chmod fail after another had renamed it: a 500 in the widget's first call).
        data_dir.mkdir(parents=True, exist_ok=True)
        tmp = data_dir / f"signing.{os.getpid()}.tmp"
        tmp.write_text(secrets.token_hex(32))
        tmp.chmod(0o600)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    return path.read_text().strip()


def env_names(cls: type[BaseSettings]) -> tuple[str, ...]:
    """The environment variables a settings class reads (its prefix + field name, or its aliases)."""
    prefix = str(cls.model_config.get("env_prefix") or "")
    names: list[str] = []
    for name, info in cls.model_fields.items():
        alias: Any = info.validation_alias
        if isinstance(alias, AliasChoices):
            names.extend(choice for choice in alias.choices if isinstance(choice, str))
        elif isinstance(alias, str):
            names.append(alias)
        else:
            names.append(f"{prefix}{name}".upper())
    return tuple(names)


_names: dict[type[BaseSettings], tuple[Any, ...]] = {}
# os.environ.get costs ~1 us a name (it encodes the name, and a missing one raises KeyError inside):
# the dict behind os.environ, which every os.environ write updates, read with names encoded once.
_ENV_DATA: Any = getattr(os.environ, "_data", None)
_ENV_KEY: Any = getattr(os.environ, "encodekey", str) if _ENV_DATA is not None else str
_ENV_GET: Any = _ENV_DATA.get if _ENV_DATA is not None else os.environ.get
_built: dict[type[BaseSettings], tuple[tuple[str | None, ...], BaseSettings]] = {}


def _read(cls: type[SectionT]) -> SectionT:
    """``cls()``, built again only when one of its environment variables changed (a tuple of dict
    look-ups per call: cheap on every request, and a changed variable is seen at once)."""
    names = _names.get(cls)
    if names is None:
        names = _names[cls] = tuple(_ENV_KEY(name) for name in env_names(cls))
    key = tuple(map(_ENV_GET, names))
    built = _built.get(cls)
    if built is not None and built[0] == key:
        return built[1]  # type: ignore[return-value]
    value = cls()
    _built[cls] = (key, value)
    return value


def get_settings() -> Settings:
    """The settings tree (core's settings; rooms' sections through ``section``)."""
    return _read(Settings)


def forget_section(cls: type[BaseSettings]) -> None:
    """Build ``cls`` again at its next read (a section whose inputs are not only its variables)."""
    _built.pop(cls, None)


def reset_settings() -> None:
    """Forget the built tree and its sections (the CLI after setting env vars from flags; tests)."""
    _built.clear()
    _data_dir_secret.cache_clear()


def tls_ca_locations() -> tuple[str | None, str | None]:
    """OpenSSL's own ``SSL_CERT_FILE`` and ``SSL_CERT_DIR``: not printgate settings, but they decide which
    CA bundle an outbound client trusts, so a cached TLS context is keyed on them (``core.net``)."""
    return os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")
