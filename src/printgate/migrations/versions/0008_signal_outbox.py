"""signal outbox: the signals a committed change still owes its listeners

Core announced job and order events after the commit that made the change, in a second
transaction: a process killed between the two, or a listener that raised, lost the event for good.
The change now writes "signal X with kwargs K is owed" in its own transaction
(``printgate.core.outbox``); a sweep delivers what was never marked done.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 20:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "signal_outbox",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("signal", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("kwargs", sa.JSON(), nullable=True),
        sa.Column("delivered_to", sa.JSON(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("done_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("failed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("signal_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_signal_outbox_due", ["done_at", "failed_at", "next_attempt_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("signal_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_signal_outbox_due")
    op.drop_table("signal_outbox")
