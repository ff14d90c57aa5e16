"""The local demo: a publishable key for the "default" account, kept in the data dir.

A publishable key is public by design (it goes into page source), so keeping it in a file is fine;
secret keys are never stored in clear.
"""

from __future__ import annotations

from sqlmodel import Session, select

from printgate.core.config import get_settings
from printgate.core.db import get_engine
from printgate.core.keys import create_key, get_or_create_account, hash_key
from printgate.core.models import ApiKey

DEMO_ACCOUNT = "default"


def demo_publishable_key() -> str:
    path = get_settings().data_dir / "demo-publishable.key"
    with Session(get_engine(), expire_on_commit=False) as session:
        if path.exists():
            raw = path.read_text().strip()
            row = session.exec(select(ApiKey).where(ApiKey.key_hash == hash_key(raw))).first()
            if row is not None and row.revoked_at is None:
                return raw
        account = get_or_create_account(session, DEMO_ACCOUNT)
        issued = create_key(session, account, kind="publishable", mode="test", name="demo page")
    path.write_text(issued.key)
    return issued.key
