"""seal webhook endpoint secrets at rest

Endpoint signing secrets were stored in plain text: a copy of the database was enough to forge
printgate's webhooks to every merchant. They are now sealed with ``printgate.core.crypto`` (the
key from ``PRINTGATE_ENCRYPTION_KEY``/``_FILE``, else derived from the instance's signing secret).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 04:45:00.000000
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

from printgate.core import crypto

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _rewrite(change: Callable[[str], str], wanted: Callable[[str], bool]) -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, secret, previous_secret FROM webhook_endpoint")).fetchall()
    for row_id, secret, previous in rows:
        new_secret = change(secret) if secret and wanted(secret) else secret
        new_previous = change(previous) if previous and wanted(previous) else previous
        if (new_secret, new_previous) != (secret, previous):
            bind.execute(sa.text("UPDATE webhook_endpoint SET secret = :s, previous_secret = :p WHERE id = :i"),
                         {"s": new_secret, "p": new_previous, "i": row_id})


def upgrade() -> None:
    _rewrite(crypto.seal, lambda value: not value.startswith(crypto.SEALED))


def downgrade() -> None:
    _rewrite(crypto.reveal, lambda value: value.startswith(crypto.SEALED))
