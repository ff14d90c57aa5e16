"""The dashboard's tables: who may sign in, their server-side sessions, recent sign-in failures."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from printgate.core.clock import utcnow
from printgate.widgets.dashboard.roles import ROLES  # noqa: F401  (re-exported)


class DashboardUser(SQLModel, table=True):
    """A person of a shop. ``owner`` may do everything; ``staff`` reads jobs, downloads files and
    decides reviews (keys, the library and users are the owner's)."""

    __tablename__ = "dashboard_user"

    id: str = Field(primary_key=True)  # user_...
    account_id: str = Field(foreign_key="account.id", index=True)
    email: str  # lower-cased
    role: str = "staff"
    password_hash: str
    disabled: bool = False
    created_at: datetime = Field(default_factory=utcnow)

    __table_args__ = (UniqueConstraint("account_id", "email", name="uq_dashboard_user_email"),
                      Index("ix_dashboard_user_email", "email"))


class DashboardSession(SQLModel, table=True):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored here."""

    __tablename__ = "dashboard_session"

    id: str = Field(primary_key=True)  # sha256 hex of the cookie's token
    user_id: str = Field(foreign_key="dashboard_user.id", index=True)
    account_id: str = Field(index=True)
    csrf_token: str
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime


class DashboardLoginFailure(SQLModel, table=True):
    """One failed sign-in, keyed by a hash of (email, client address): the rate limit counts them."""

    __tablename__ = "dashboard_login_failure"

    id: int | None = Field(default=None, primary_key=True)
    key: str
    failed_at: datetime = Field(default_factory=utcnow)

    __table_args__ = (Index("ix_dashboard_login_failure_key_at", "key", "failed_at"),)
