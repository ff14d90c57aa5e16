"""Engine, sessions and migrations. SQLite by default, PostgreSQL through ``DATABASE_URL``."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from pydantic_core import PydanticUndefined
from sqlalchemy import event, insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.instrumentation import manager_of_class
from sqlmodel import Session, SQLModel, create_engine

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
    # No pool_pre_ping (a round trip at every checkout, and a request checks out several): a
    # connection idle for a while is pinged instead, and a disconnect met in use invalidates the pool.
    # LIFO: under a light load the same few connections stay hot (not pinged), the others age out.
    engine = create_engine(url, pool_size=10, max_overflow=20, pool_recycle=RECYCLE_S, pool_use_lifo=True)
    ping_idle_connections(engine, IDLE_PING_S)
    _ENGINES.append(engine)
    _forget_in_children(engine)
    return engine


# A connection back in the pool for longer than this is pinged before its next use, as pool_pre_ping
# would. One used less than this ago is alive unless the server went down and came back in between,
# and a PostgreSQL restart takes longer (0.2-0.7 s for an empty cluster with ``pg_ctl -m fast restart``, measured);
# were it to happen, the request fails and SQLAlchemy replaces every pooled connection.
IDLE_PING_S = 0.1
RECYCLE_S = 3600  # and none lives longer than an hour
_RETURNED_AT = "printgate.returned_at"


def ping_idle_connections(engine: Engine, idle_s: float) -> None:
    """Check a pooled connection's liveness at checkout only if it sat idle ``idle_s`` or more; a dead
    one raises DisconnectionError, on which the pool opens a fresh connection in its place."""

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_conn, record):  # type: ignore[no-untyped-def]
        record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_conn, record, _proxy):  # type: ignore[no-untyped-def]
        returned = record.info.get(_RETURNED_AT)
        if returned is None or time.monotonic() - returned < idle_s:
            return  # new (just connected) or used a moment ago
        try:
            engine.dialect.do_ping(dbapi_conn)  # what pool_pre_ping runs
        except Exception as exc:
            raise DisconnectionError(f"pooled connection idle for {time.monotonic() - returned:.1f} s "
                                     f"is gone: {exc}") from exc


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


Row = TypeVar("Row", bound=SQLModel)
_FieldDefault = tuple[str, Any, Callable[[], Any] | None]
_DEFAULTS: dict[type[SQLModel], tuple[_FieldDefault, ...]] = {}
_INSERTS: dict[type[SQLModel], Any] = {}


def _field_defaults(model: type[SQLModel]) -> tuple[_FieldDefault, ...]:
    """(name, default, factory) of each column-backed field, read once from the model's declaration."""
    known = _DEFAULTS.get(model)
    if known is None:
        known = _DEFAULTS[model] = tuple(
            (name, info.default, info.default_factory)  # type: ignore[misc]
            for name, info in model.model_fields.items())
    return known


def complete_row(model: type[SQLModel], values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with every other column at the model's default, as its constructor would fill them
    (no validation: the caller built the values). A column with no default must be given."""
    row = dict(values)
    for name, default, factory in _field_defaults(model):
        if name not in row:
            if factory is not None:
                row[name] = factory()
            elif default is PydanticUndefined:
                raise ValueError(f"{model.__name__}.{name} has no default and was not given")
            else:
                row[name] = default
    return row


def insert_loaded(session: Session, model: type[Row], rows: list[dict[str, Any]]) -> list[Row]:
    """Insert complete ``rows`` (``complete_row``) with one Core INSERT (executemany) in the session's
    transaction, and return them as ORM objects the session holds as if it had loaded them.

    On the intake path SQLModel's validating constructor and the unit of work's flushes cost several
    times the INSERTs themselves; this is the path a query result takes instead (``__new__``, no
    ``__init__``). The objects read and change like any loaded row; the rows are written at once, so
    insert parents before children (foreign keys).
    """
    if not rows:
        return []
    statement = _INSERTS.get(model)
    if statement is None:
        statement = _INSERTS[model] = insert(model.__table__)  # type: ignore[attr-defined]
    session.execute(statement, rows)
    manager = manager_of_class(model)
    loaded: list[Row] = []
    for row in rows:
        obj = manager.new_instance()
        obj.__dict__.update(row)
        object.__setattr__(obj, "__pydantic_fields_set__", set(row))
        make_transient_to_detached(obj)  # its identity from the primary key, every attribute committed
        session.add(obj)  # detached -> persistent: in the identity map, nothing pending
        loaded.append(obj)
    return loaded


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
