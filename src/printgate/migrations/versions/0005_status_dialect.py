"""status dialect: per API key and per webhook endpoint; a delivery's own body when its dialect differs

Filecheck's SDK waits for ``done|skipped|error`` and polls a lifecycle job (``ready``...) until it
times out. A key (and a webhook endpoint) now says which vocabulary its jobs are shaped in; existing
rows keep ``lifecycle``, what they have always received.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 02:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status_dialect", sqlmodel.sql.sqltypes.AutoString(), nullable=False,
                                      server_default="lifecycle"))
    with op.batch_alter_table("webhook_endpoint", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status_dialect", sqlmodel.sql.sqltypes.AutoString(), nullable=False,
                                      server_default="lifecycle"))
    with op.batch_alter_table("webhook_delivery", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payload", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("webhook_delivery", schema=None) as batch_op:
        batch_op.drop_column("payload")
    with op.batch_alter_table("webhook_endpoint", schema=None) as batch_op:
        batch_op.drop_column("status_dialect")
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.drop_column("status_dialect")
