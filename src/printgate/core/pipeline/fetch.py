"""Fetching ``url`` sources through :mod:`printgate.core.net`: every hop checked and pinned, size- and
time-capped. The bytes come back to the submitter through the job's signed URL, so a URL into this
machine's network must never be read (unless the operator allows it, ``PRINTGATE_ALLOW_PRIVATE_URLS=1``)."""

from __future__ import annotations

from pathlib import Path

import httpx

from printgate.core import net
from printgate.core.config import get_settings
from printgate.core.errors import UnreadableFile

TIMEOUT = httpx.Timeout(30.0, connect=10.0)
MAX_SECONDS = 300.0  # the whole body, however slowly it drips
MAX_REDIRECTS = 5


def fetch_url(url: str, headers: dict[str, str] | None, dst: Path) -> int:
    """Download ``url`` into ``dst``; return its size. :class:`UnreadableFile` says why it was not."""
    if not url.startswith(("http://", "https://")):
        raise UnreadableFile("Source URL must start with http:// or https://")
    limit = get_settings().max_upload_bytes
    size = 0
    try:
        with net.client(timeout=TIMEOUT) as http:
            resp = net.get_following(http, url, headers=headers or {}, max_redirects=MAX_REDIRECTS)
            try:
                if resp.status_code >= 400:
                    raise UnreadableFile(f"Fetching the source URL failed with HTTP {resp.status_code}")
                if 300 <= resp.status_code < 400:
                    raise UnreadableFile(f"The source URL answered HTTP {resp.status_code} without a usable redirect")
                with dst.open("wb") as fh:
                    for chunk in net.read_capped(resp, limit, MAX_SECONDS):
                        size += len(chunk)
                        fh.write(chunk)
            finally:
                resp.close()
    except net.Refused as exc:
        dst.unlink(missing_ok=True)
        raise UnreadableFile(f"Source URL refused: {exc}") from exc
    except net.TooLarge as exc:
        dst.unlink(missing_ok=True)
        raise UnreadableFile(f"Source file is larger than the {limit} byte limit") from exc
    except httpx.HTTPError as exc:
        dst.unlink(missing_ok=True)
        raise UnreadableFile(f"Fetching the source URL failed: {exc}") from exc
    return size
