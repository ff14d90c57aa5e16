"""Fetching ``url`` sources: size-capped, time-limited, and never into this machine's private
network unless the operator allows it (``PRINTGATE_ALLOW_PRIVATE_URLS=1``)."""

from __future__ import annotations

import ipaddress
import os
import socket
from pathlib import Path
from urllib.parse import urlparse

import httpx

from core.config import get_settings
from core.errors import UnreadableFile


def _check_host(url: str) -> None:
    if os.environ.get("PRINTGATE_ALLOW_PRIVATE_URLS") == "1":
        return
    host = urlparse(url).hostname or ""
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror as exc:
        raise UnreadableFile(f"Could not resolve the source URL's host {host!r}") from exc
    for info in infos:
        addr = ipaddress.ip_address(info[4][0])
        if addr.is_private or addr.is_loopback or addr.is_link_local or addr.is_reserved:
            raise UnreadableFile(f"Source URL host {host!r} is on a private network; not fetched")


def fetch_url(url: str, headers: dict[str, str] | None, dst: Path) -> int:
    if not url.startswith(("http://", "https://")):
        raise UnreadableFile("Source URL must start with http:// or https://")
    _check_host(url)
    limit = get_settings().max_upload_bytes
    size = 0
    try:
        with httpx.stream("GET", url, headers=headers or {}, timeout=30.0, follow_redirects=True) as resp:
            if resp.status_code >= 400:
                raise UnreadableFile(f"Fetching the source URL failed with HTTP {resp.status_code}")
            with dst.open("wb") as fh:
                for chunk in resp.iter_bytes():
                    size += len(chunk)
                    if size > limit:
                        raise UnreadableFile(f"Source file is larger than the {limit} byte limit")
                    fh.write(chunk)
    except httpx.HTTPError as exc:
        raise UnreadableFile(f"Fetching the source URL failed: {exc}") from exc
    return size
