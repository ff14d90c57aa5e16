"""API keys: ``sk_live_``/``sk_test_`` secret keys and ``pk_live_``/``pk_test_`` publishable keys.

Keys are random, shown once, stored only as a SHA-256 hash (the key carries 192 bits of entropy,
so a fast hash is enough and keeps the per-request lookup cheap).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlmodel import Session, col, select

from printgate.core.clock import utcnow
from printgate.core.errors import NotFound, Unauthorized
from printgate.core.ids import new_id
from printgate.core.jobs.dialect import DEFAULT_DIALECT, check_dialect
from printgate.core.models import Account, ApiKey

KINDS = {"secret": "sk", "publishable": "pk"}


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def get_or_create_account(session: Session, name: str) -> Account:
    account = session.exec(select(Account).where(Account.name == name)).first()
    if account is None:
        account = Account(id=new_id("acct"), name=name)
        session.add(account)
        session.commit()
    return account


@dataclass(frozen=True)
class IssuedKey:
    key: str
    row: ApiKey


def create_key(session: Session, account: Account, *, kind: str = "secret", mode: str = "test",
               name: str | None = None, status_dialect: str = DEFAULT_DIALECT) -> IssuedKey:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {sorted(KINDS)}")
    if mode not in ("live", "test"):
        raise ValueError("mode must be live or test")
    check_dialect(status_dialect)
    raw = f"{KINDS[kind]}_{mode}_{secrets.token_urlsafe(24)}"
    row = ApiKey(
        id=new_id("key"), account_id=account.id, kind=kind, mode=mode, name=name,
        key_hash=hash_key(raw), hint=f"{KINDS[kind]}_{mode}_…{raw[-4:]}", status_dialect=status_dialect,
    )
    session.add(row)
    session.commit()
    return IssuedKey(key=raw, row=row)


def revoke_key(session: Session, key_id: str, account_id: str | None = None) -> ApiKey:
    row = session.get(ApiKey, key_id)
    if row is None or (account_id is not None and row.account_id != account_id):
        raise NotFound(f"Key not found: {key_id}")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        session.commit()
    return row


def find_key(session: Session, key_id_or_prefix: str) -> ApiKey:
    """A key by its id (``key_...``, as ``keys list`` shows it), a unique start of the id, or the key itself."""
    row = session.get(ApiKey, key_id_or_prefix) or session.exec(
        select(ApiKey).where(ApiKey.key_hash == hash_key(key_id_or_prefix))).first()
    if row is not None:
        return row
    rows = session.exec(select(ApiKey).where(col(ApiKey.id).startswith(key_id_or_prefix))).all() \
        if key_id_or_prefix else []
    if len(rows) != 1:
        raise NotFound(f"Key not found: {key_id_or_prefix}" if not rows
                       else f"{key_id_or_prefix!r} matches {len(rows)} keys; give more of the id")
    return rows[0]


def set_status_dialect(session: Session, key_id_or_prefix: str, dialect: str) -> ApiKey:
    """Change how a key's callers hear job status (within a few seconds: principals are cached)."""
    check_dialect(dialect)
    row = find_key(session, key_id_or_prefix)
    row.status_dialect = dialect
    session.add(row)
    session.commit()
    return row


@dataclass(frozen=True)
class Principal:
    """Who is calling: the account and what the key allows."""

    account_id: str
    key_id: str
    kind: str  # secret | publishable
    mode: str
    status_dialect: str = DEFAULT_DIALECT

    @property
    def is_secret(self) -> bool:
        return self.kind == "secret"


def authenticate(session: Session, raw: str | None) -> Principal:
    if not raw:
        raise Unauthorized("Missing API key: send Authorization: Bearer sk_...")
    if not raw.startswith(("sk_live_", "sk_test_", "pk_live_", "pk_test_")):
        raise Unauthorized("Invalid API key")
    row = session.exec(select(ApiKey).where(ApiKey.key_hash == hash_key(raw))).first()
    if row is None or row.revoked_at is not None:
        raise Unauthorized("Invalid API key")
    return Principal(account_id=row.account_id, key_id=row.id, kind=row.kind, mode=row.mode,
                     status_dialect=row.status_dialect)
