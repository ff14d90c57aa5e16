"""Secrets at rest (store credentials, webhook endpoint secrets): Fernet (AES-128-CBC + HMAC-SHA256).

The key is ``PRINTGATE_ENCRYPTION_KEY`` when set (a Fernet key, or any string, which is then
stretched), else the contents of the file ``PRINTGATE_ENCRYPTION_KEY_FILE`` names (keep it outside
the data dir: a copy of the data dir then holds nothing readable), otherwise derived from core's
signing secret with HKDF, so a self-hosted instance encrypts without any extra setup. Several keys
may be given comma-separated (newest first) to rotate: the first encrypts, all decrypt. Both are
read at each use, so a rotation needs no restart of the tooling that sets them.
"""

from __future__ import annotations

import base64
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from printgate.core.config import get_settings


class CredentialsError(Exception):
    """Stored credentials cannot be decrypted (the key changed) or are malformed."""


def _derive(material: str) -> bytes:
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"printgate-connectors",
               info=b"store-credentials/v1").derive(material.encode())
    return base64.urlsafe_b64encode(raw)


def _as_fernet_key(value: str) -> bytes:
    value = value.strip()
    try:
        if len(base64.urlsafe_b64decode(value.encode())) == 32:
            return value.encode()
    except (ValueError, TypeError):
        pass
    return _derive(value)


def _configured_keys() -> str:
    settings = get_settings()
    configured, key_file = settings.encryption_key, settings.encryption_key_file
    if not configured.strip() and key_file:
        try:
            return _key_file(key_file, os.stat(key_file).st_mtime_ns)
        except OSError as exc:
            raise CredentialsError(f"PRINTGATE_ENCRYPTION_KEY_FILE cannot be read: {exc}") from exc
    return configured


@lru_cache(maxsize=4)
def _key_file(path: str, _mtime_ns: int) -> str:
    """The key file's contents, read again only when it changes (every outbound delivery reveals
    its endpoint's secret: a stat per use, not a read)."""
    return Path(path).read_text()


def _fernet() -> MultiFernet:
    configured = _configured_keys()
    return _fernet_for(configured if configured.strip() else "", get_settings().effective_signing_secret)


@lru_cache(maxsize=8)
def _fernet_for(configured: str, signing_secret: str) -> MultiFernet:
    """Keys stretched once per key material, not per encrypt/decrypt (HKDF on every delivery)."""
    keys = [_as_fernet_key(k) for k in configured.split(",") if k.strip()]
    if not keys:
        keys = [_derive(signing_secret)]
    return MultiFernet([Fernet(k) for k in keys])


def keyring() -> MultiFernet:
    """The configured keys: one object per key material, so a cache keyed on it (beside a ciphertext)
    forgets what it decrypted as soon as the keys change."""
    return _fernet()


def encrypt(value: Any) -> str:
    return _fernet().encrypt(json.dumps(value, separators=(",", ":")).encode()).decode()


def decrypt(token: str | None) -> Any:
    if not token:
        return None
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except (InvalidToken, ValueError) as exc:
        raise CredentialsError("stored credentials cannot be decrypted with the configured key") from exc


SEALED = "fernet:"


def seal(secret: str) -> str:
    """A secret string as stored: ``fernet:<token>``."""
    return SEALED + _fernet().encrypt(secret.encode()).decode()


def reveal(stored: str) -> str:
    """The secret a ``seal`` stored (a value stored before sealing existed is returned as it is)."""
    if not stored.startswith(SEALED):
        return stored
    try:
        return _fernet().decrypt(stored[len(SEALED):].encode()).decode()
    except InvalidToken as exc:
        raise CredentialsError("a stored secret cannot be decrypted with the configured key") from exc
