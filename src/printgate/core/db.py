"""Engine, sessions and migrations. SQLite by default, PostgreSQL through ``DATABASE_URL``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from printgate.core.config import get_settings

# The schema spans every room, so its migrations sit at the package root, not inside core.
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def get_engine(url: str | None = None) -> Engine:
    if url is None:
        settings = get_settings()
        # Resolving the SQLite path touches the filesystem: do it once per settings object.
        url = _URLS.get(id(settings))
        if url is None:
            url = _URLS[id(settings)] = settings.effective_database_url
    return _engine_for(url)


_URLS: dict[int, str] = {}


@lru_cache
def _engine_for(url: str) -> Engine:
    if url.startswith("sqlite"):
        get_settings().data_dir.mkdir(parents=True, exist_ok=True)
        # The API's thread pool runs up to 40 requests: keep enough connections open that a request
        # does not pay for opening one (and its PRAGMAs).
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               pool_size=20, max_overflow=40)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            # WAL lets the API read while a worker writes; busy_timeout rides out short write locks.
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        _ENGINES.append(engine)
        _forget_in_children(engine)
        return engine
    engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    _ENGINES.append(engine)
    _forget_in_children(engine)
    return engine


def _forget_in_children(engine: Engine) -> None:
    """A forked work horse must not reuse (or close) the parent's pooled connections."""
    os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))


def reset_engine() -> None:
    for engine in _cached_engines():
        engine.dispose()
    _ENGINES.clear()
    _URLS.clear()
    _engine_for.cache_clear()


def _cached_engines() -> list[Engine]:
    # lru_cache keeps no public list of values; track them through a tiny registry instead.
    return list(_ENGINES)


_ENGINES: list[Engine] = []


@contextmanager
def session_scope() -> Iterator[Session]:
    with Session(get_engine(), expire_on_commit=False) as session:
        yield session


def alembic_config():  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", get_settings().effective_database_url.replace("%", "%%"))
    return cfg


def migrate() -> None:
    """Bring the schema to the newest revision (idempotent)."""
    from alembic import command

    get_settings().data_dir.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(), "head")
