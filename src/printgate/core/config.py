"""Every setting in one typed place, read from the environment (prefix ``PRINTGATE_``).

Scale-out switches keep their conventional unprefixed names: ``DATABASE_URL``, ``REDIS_URL``.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    task_retries: int = 2
    # A running task whose heartbeat is older than this is considered orphaned and re-queued.
    stale_task_s: int = 60
    # A worker heartbeats at least this often when idle; /health counts only workers heard from
    # within it (RQ's default, 420 s, kept a killed worker "alive" for eight minutes).
    worker_ttl_s: int = 30
    # How often one worker reconciles connected stores and retries order write-backs.
    connector_tick_s: float = 300.0

    rate_limit_per_minute: int = 6000
    retention_days: int = 30

    # /metrics and /health's details (worker names, queue depths, instance-wide job counts): with a
    # token, for callers sending it as a bearer token; without one, for local callers only.
    ops_token: str | None = None

    log_json: bool = False
    log_level: str = "INFO"

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
        data_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(secrets.token_hex(32))
        tmp.chmod(0o600)
        try:
            tmp.rename(path) if not path.exists() else tmp.unlink()
        except OSError:
            pass
    return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget cached settings (the CLI sets env vars from flags before first use; tests switch dirs)."""
    get_settings.cache_clear()
    _data_dir_secret.cache_clear()
