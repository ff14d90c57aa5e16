"""Prefixed, time-sortable ids (``job_01jf8n2q4v...``): a ULID in lowercase Crockford base32."""

from __future__ import annotations

import base64
import os
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
# RFC 4648 base32 digit -> Crockford digit of the same value: the C-coded encoder does the bit work.
_TO_CROCKFORD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", _ALPHABET)


def _ulid() -> str:
    # 48 bits of milliseconds and 80 random bits, as 26 base32 digits (130 bits, the top 2 zero):
    # 16 bytes behind 4 zero bytes make 32 digits whose last 26 are those.
    raw = int(time.time() * 1000).to_bytes(10, "big") + os.urandom(10)
    return base64.b32encode(raw).decode("ascii")[6:].translate(_TO_CROCKFORD)


def new_id(prefix: str) -> str:
    return f"{prefix}_{_ulid()}"


def has_prefix(value: str, prefix: str) -> bool:
    return value.startswith(prefix + "_") and len(value) > len(prefix) + 1
