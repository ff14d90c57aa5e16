"""Alembic environment: the metadata is every SQLModel table printgate defines."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import printgate.connectors.base.models
import printgate.core.models
import printgate.webhooks.models  # noqa: F401  (every room's tables: the schema spans them all)
from printgate.core.db import get_engine

target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    engine = get_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
