"""Webhook settings (prefix ``PRINTGATE_WEBHOOK_``): the webhooks room's section of the one settings
tree (``printgate.core.config``). The class lives in the room so the room can evolve on its own; it
is read through the tree, which reads it again whenever one of its variables changes (tests switch
them per test).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from printgate.core.config import get_settings

# Seconds to wait before attempt n+1 of an outbound delivery (attempt 1 is immediate). Sums to ~41 h,
# so a receiver that is down for a day still gets every event.
DEFAULT_RETRY_SCHEDULE = (30, 120, 600, 1800, 3600, 7200, 14400, 28800, 43200, 43200)
# Inbound handler retries: the payload is already stored, so these only bridge transient failures.
DEFAULT_INBOUND_RETRY_SCHEDULE = (5, 30, 120, 600, 1800, 3600, 7200)


def _parse_schedule(value: object) -> object:
    if isinstance(value, str):
        return tuple(float(part) for part in value.replace(" ", "").split(",") if part)
    return value


class WebhookSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PRINTGATE_WEBHOOK_", extra="ignore")

    # --- inbound ---
    # Deliveries whose own timestamp is older than this are refused (replay window). Platforms that
    # retry for longer (Shopify: 8 tries over 4 h) register their own ``max_age_s``.
    inbound_max_age_s: int = 300
    # Accepted clock skew into the future.
    inbound_future_skew_s: int = 300
    inbound_max_body_bytes: int = 5 * 1024 * 1024
    inbound_retry_schedule: Annotated[tuple[float, ...], NoDecode] = DEFAULT_INBOUND_RETRY_SCHEDULE
    # A delivery held by a worker for longer than this is considered orphaned by the sweeper.
    inbound_handler_timeout_s: int = 120
    # Done inbound deliveries are kept this long (they are the dedupe record: keep > every max_age).
    inbound_retention_days: int = 14

    # --- outbound ---
    retry_schedule: Annotated[tuple[float, ...], NoDecode] = DEFAULT_RETRY_SCHEDULE
    # Fraction of each delay added or removed at random so retries of many events spread out.
    retry_jitter: float = 0.1
    connect_timeout_s: float = 3.0
    timeout_s: float = 10.0
    # An endpoint is disabled after this many consecutive failed attempts spanning at least
    # ``disable_after_s`` seconds; the merchant re-enables it.
    disable_after_failures: int = 10
    disable_after_s: float = 24 * 3600
    # After a rotation the previous secret keeps signing (second ``v1,`` signature) this long.
    rotation_overlap_s: int = 24 * 3600
    response_snippet_bytes: int = 1024
    # Same-origin 307/308 redirects followed per attempt (other redirects count as a failure).
    max_redirects: int = 3
    user_agent: str = "printgate-webhooks/0.1"

    # Finished deliveries (and their attempts and events) are kept this long for the merchant.
    outbound_retention_days: int = 30

    # Outbound sweeper: pending deliveries whose ``next_attempt_at`` is this far past are re-queued.
    sweep_grace_s: float = 30.0

    @field_validator("retry_schedule", "inbound_retry_schedule", mode="before")
    @classmethod
    def _schedule(cls, value: object) -> object:
        """``"0,30,120"`` in the environment."""
        return _parse_schedule(value)


def get_webhook_settings() -> WebhookSettings:
    return get_settings().section(WebhookSettings)
