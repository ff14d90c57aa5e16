"""API keys: ``sk_live_``/``sk_test_`` secret keys and ``pk_live_``/``pk_test_`` publishable keys.

Keys are random, shown once, stored only as a SHA-256 hash (the key carries 192 bits of entropy,
so a fast hash is enough and keeps the per-request lookup cheap).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlmodel import Session, select

from core.clock import utcnow
from core.errors import NotFound, Unauthorized
from core.ids import new_id
from core.models import Account, ApiKey

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
               name: str | None = None) -> IssuedKey:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {sorted(KINDS)}")
    if mode not in ("live", "test"):
        raise ValueError("mode must be live or test")
    raw = f"{KINDS[kind]}_{mode}_{secrets.token_urlsafe(24)}"
    row = ApiKey(
        id=new_id("key"), account_id=account.id, kind=kind, mode=mode, name=name,
        key_hash=hash_key(raw), hint=f"{KINDS[kind]}_{mode}_…{raw[-4:]}",
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


@dataclass(frozen=True)
class Principal:
    """Who is calling: the account and what the key allows."""

    account_id: str
    key_id: str
    kind: str  # secret | publishable
    mode: str

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
    return Principal(account_id=row.account_id, key_id=row.id, kind=row.kind, mode=row.mode)
