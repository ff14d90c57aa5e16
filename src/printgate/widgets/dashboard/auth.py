"""Dashboard sign-in: argon2 passwords, server-side sessions, CSRF tokens, a sign-in rate limit.

A session is a random token in an HttpOnly, SameSite=Lax cookie (Secure when the public URL is
https); the database keeps only its SHA-256, with the user, the account and the session's CSRF
token. Every state-changing form carries that token; a form without it, or with another, is a 403.
Signing in is limited per (email, client address): ``MAX_FAILURES`` failures within
``FAILURE_WINDOW`` answer 429 with ``Retry-After`` until the oldest of them ages out.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from printgate.core.clock import as_utc, utcnow
from printgate.core.config import get_settings
from printgate.core.errors import BadRequest, Conflict, NotFound
from printgate.core.ids import new_id
from printgate.core.models import Account
from printgate.widgets.dashboard.models import ROLES, DashboardLoginFailure, DashboardSession, DashboardUser

SESSION_COOKIE = "pg_dashboard"
LOGIN_CSRF_COOKIE = "pg_dashboard_login"
SESSION_TTL = timedelta(hours=12)
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 8

_hasher = PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Verified when no user has the email, so an unknown address costs as long as a wrong password."""
    return _hasher.hash(secrets.token_urlsafe(16))


def normalize_email(email: str) -> str:
    return email.strip().lower()


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadRequest(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


# --- users ---------------------------------------------------------------------------------------

def create_user(session: Session, account: Account, email: str, role: str, password: str) -> DashboardUser:
    email = normalize_email(email)
    if "@" not in email or len(email) > 254:
        raise BadRequest(f"not an email address: {email!r}")
    if role not in ROLES:
        raise BadRequest(f"role must be one of {', '.join(ROLES)}")
    existing = session.exec(select(DashboardUser).where(DashboardUser.account_id == account.id,
                                                        DashboardUser.email == email)).first()
    if existing is not None:
        raise Conflict(f"{email} already has a dashboard user in account {account.name!r}")
    user = DashboardUser(id=new_id("user"), account_id=account.id, email=email, role=role,
                         password_hash=hash_password(password))
    session.add(user)
    session.commit()
    return user


def set_disabled(session: Session, account: Account, email: str, disabled: bool) -> DashboardUser:
    """Disable (or enable again) a user; a disabled user's sessions end at once."""
    user = session.exec(select(DashboardUser).where(DashboardUser.account_id == account.id,
                                                    DashboardUser.email == normalize_email(email))).first()
    if user is None:
        raise NotFound(f"No dashboard user {email} in account {account.name!r}")
    user.disabled = disabled
    session.add(user)
    if disabled:
        session.execute(delete(DashboardSession).where(col(DashboardSession.user_id) == user.id))
    session.commit()
    return user


# --- sign-in -------------------------------------------------------------------------------------

def failure_key(email: str, client: str) -> str:
    return _sha256(f"{normalize_email(email)}\n{client}")


def retry_after(session: Session, key: str, now: datetime | None = None) -> int | None:
    """Seconds until this (email, address) may try again, or None when it may now."""
    now = now or utcnow()
    since = now - FAILURE_WINDOW
    count, oldest = session.exec(
        select(func.count(), func.min(DashboardLoginFailure.failed_at))
        .where(DashboardLoginFailure.key == key, col(DashboardLoginFailure.failed_at) > since)).one()
    if count < MAX_FAILURES or oldest is None:
        return None
    return max(1, int((as_utc(oldest) + FAILURE_WINDOW - now).total_seconds()) + 1)


def record_failure(session: Session, key: str) -> None:
    session.add(DashboardLoginFailure(key=key))
    # Old failures count for nothing: forget them while here (an indexed range).
    session.execute(delete(DashboardLoginFailure).where(
        col(DashboardLoginFailure.key) == key, col(DashboardLoginFailure.failed_at) <= utcnow() - FAILURE_WINDOW))
    session.commit()


def clear_failures(session: Session, key: str) -> None:
    session.execute(delete(DashboardLoginFailure).where(col(DashboardLoginFailure.key) == key))
    session.commit()


@dataclass(frozen=True)
class SignInResult:
    user: DashboardUser | None
    # Several accounts' users have this email and this password: the account must be named.
    ambiguous: bool = False


def authenticate(session: Session, email: str, password: str, account_name: str | None = None) -> SignInResult:
    """The enabled user with this email (in the named account, if given) whose password matches."""
    query = select(DashboardUser, Account).where(DashboardUser.email == normalize_email(email),
                                                 DashboardUser.account_id == Account.id,
                                                 col(DashboardUser.disabled).is_(False))
    if account_name:
        query = query.where(Account.name == account_name.strip())
    candidates = session.exec(query).all()
    if not candidates:
        _verify(_dummy_hash(), password)
        return SignInResult(None)
    matched = [user for user, _account in candidates if _verify(user.password_hash, password)]
    if len(matched) > 1:
        return SignInResult(None, ambiguous=True)
    if not matched:
        return SignInResult(None)
    user = matched[0]
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
        session.add(user)
        session.commit()
    return SignInResult(user)


# --- sessions ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SignedIn:
    """The person behind a request: their user row, account and this session's CSRF token."""

    user: DashboardUser
    account: Account
    session_id: str
    csrf_token: str

    @property
    def is_owner(self) -> bool:
        return self.user.role == "owner"

    @property
    def reviewer(self) -> str:
        return f"user:{self.user.email}"


def start_session(session: Session, user: DashboardUser) -> str:
    """A new session for ``user``; returns the token for the cookie (shown nowhere else)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(DashboardSession(id=_sha256(token), user_id=user.id, account_id=user.account_id,
                                 csrf_token=secrets.token_urlsafe(32), created_at=now, expires_at=now + SESSION_TTL))
    # Expired sessions of this user are garbage: drop them as a new one starts.
    session.execute(delete(DashboardSession).where(col(DashboardSession.user_id) == user.id,
                                                   col(DashboardSession.expires_at) < now))
    session.commit()
    return token


def lookup_session(session: Session, token: str | None) -> SignedIn | None:
    if not token or len(token) > 200:
        return None
    row = session.exec(
        select(DashboardSession, DashboardUser, Account)
        .where(DashboardSession.id == _sha256(token), DashboardSession.user_id == DashboardUser.id,
               DashboardUser.account_id == Account.id)).first()
    if row is None:
        return None
    dash_session, user, account = row
    if user.disabled or as_utc(dash_session.expires_at) <= utcnow():
        return None
    return SignedIn(user=user, account=account, session_id=dash_session.id, csrf_token=dash_session.csrf_token)


def end_session(session: Session, session_id: str) -> None:
    session.execute(delete(DashboardSession).where(col(DashboardSession.id) == session_id))
    session.commit()


def csrf_ok(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))


def new_login_csrf() -> str:
    return secrets.token_urlsafe(32)


def secure_cookies() -> bool:
    return get_settings().public_url.lower().startswith("https://")
