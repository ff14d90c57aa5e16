"""store connections: one row per account and shop, never moved between accounts

A shop (or store URL) was unique across printgate, so a second account linking it took the one row,
with its order history and compliance records. Now each account that proves control of the shop
gets its own row; the unique key is (account, platform, shop).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 02:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("store_connection", schema=None) as batch_op:
        batch_op.drop_constraint("uq_store_connection_shop", type_="unique")
        batch_op.create_unique_constraint("uq_store_connection_account_shop", ["account_id", "platform", "shop"])
        batch_op.create_index("ix_store_connection_platform_shop", ["platform", "shop"], unique=False)


def downgrade() -> None:
    # Fails while two accounts hold rows for one shop: that state cannot be expressed before 0004.
    with op.batch_alter_table("store_connection", schema=None) as batch_op:
        batch_op.drop_index("ix_store_connection_platform_shop")
        batch_op.drop_constraint("uq_store_connection_account_shop", type_="unique")
        batch_op.create_unique_constraint("uq_store_connection_shop", ["platform", "shop"])
