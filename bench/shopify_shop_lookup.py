"""Per-batch fixed cost of verifying Shopify webhooks: the shop lookup (issue 17).

The receiver verifies a batch of deliveries and reads each shop's connection once per batch
(``printgate.connectors.shopify.webhooks._shop_signer``). This bench times that lookup in-process,
beside, in the same run, the way it was read before (an ORM session, the full rows through
``ownership.current_row``, a Fernet decryption each time) and, as a floor, the HMAC check of one
2 KB delivery that every receiver pays anyway. CPU seconds beside wall seconds (the machine is shared).

    .venv/bin/python bench/shopify_shop_lookup.py [--batches 3000]
    .venv/bin/python bench/shopify_shop_lookup.py --postgres   # a private cluster, as scale_out starts it

Otherwise a throwaway SQLite data dir is used.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SHOP = "bench-shop.myshopify.com"


def _previous_lookup(shop: str) -> Any:
    """The lookup as it was before issue 17: a session, full rows, a decryption per batch."""
    from printgate.connectors.shopify import oauth
    from printgate.core import crypto
    from printgate.core.db import session_scope

    with session_scope() as session:
        connection = oauth.connection_for_shop(session, shop)
        if connection is None:
            return None
        extra = crypto.decrypt(connection.webhook_secrets) if connection.webhook_secrets else []
        return connection.id, connection.account_id, list(extra or [])


def _timed(name: str, batches: int, call: Callable[[], Any]) -> tuple[float, float]:
    call()  # warm: statement caches, pool
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for _ in range(batches):
        call()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    print(f"{name:<44} {cpu:7.3f} CPU s {wall:7.3f} wall s  {cpu / batches * 1e6:7.1f} us CPU/batch "
          f"{wall / batches * 1e6:7.1f} us wall/batch")
    return cpu, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, default=3000)
    parser.add_argument("--postgres", action="store_true", help="a private PostgreSQL cluster instead of SQLite")
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory(prefix="pg-shoplookup-")
    os.environ["PRINTGATE_DATA_DIR"] = tmp.name
    os.environ.pop("DATABASE_URL", None)
    service = None
    if args.postgres:
        from bench.scale_out import start_postgres

        os.chmod(tmp.name, 0o755)  # the cluster runs as user postgres when we are root
        service = start_postgres(Path(tmp.name) / "pg")
        os.environ["DATABASE_URL"] = service.url
    try:
        _run(args.batches)
    finally:
        if service is not None:
            service.stop()
        tmp.cleanup()


def _run(batches: int) -> None:
    from printgate.connectors.base.models import StoreConnection
    from printgate.connectors.shopify import webhooks
    from printgate.core import crypto
    from printgate.core.db import migrate, session_scope
    from printgate.core.ids import new_id
    from printgate.webhooks.signing import verify_body_hmac_b64

    migrate()
    with session_scope() as session:
        for status in ("uninstalled", "connected"):  # two accounts' rows: the ranking has work to do
            session.add(StoreConnection(id=new_id("store"), account_id=new_id("acct"), platform="shopify", shop=SHOP,
                                        status=status, webhook_secrets=crypto.encrypt(["extra-secret"])))
        session.commit()
    body = b'{"id": 450789469, "line_items": [' + b'{"sku": "x"},' * 150 + b'{}]}'
    signature = base64.b64encode(hmac.new(b"app-secret", body, hashlib.sha256).digest()).decode()
    assert webhooks._shop_signer(SHOP) is not None and _previous_lookup(SHOP) is not None
    print(f"database: {os.environ.get('DATABASE_URL', 'sqlite (throwaway)').split('://')[0]}; "
          f"{batches} batches; load {os.getloadavg()[0]:.2f}")
    before = _timed("before: session + current_row + decrypt", batches, lambda: _previous_lookup(SHOP))
    after = _timed("after: narrow select + memoized decrypt", batches, lambda: webhooks._shop_signer(SHOP))
    _timed("floor: HMAC of one 2 KB delivery", batches,
           lambda: verify_body_hmac_b64(["app-secret"], body, signature))
    print(f"shop lookup per batch: {before[0] / after[0]:.2f}x less CPU, {before[1] / after[1]:.2f}x less wall")


if __name__ == "__main__":
    main()
