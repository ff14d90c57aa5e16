"""``printgate webhooks list|retry``: outbound deliveries for an operator, across accounts.

A delivery whose retry schedule is spent is kept ``failed``; a merchant retries one through
``POST /webhook-deliveries/{id}/retry``, an operator (after a receiver's outage, say) retries them here,
with the same checks and the same move (``outbound.retry_delivery``).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported where used: ``printgate check`` builds the parser and must stay light
    from sqlmodel import Session

    from printgate.webhooks.models import OutboundDelivery


def retry_refusal(session: Session, delivery: OutboundDelivery) -> str | None:
    """Why this delivery cannot get one more attempt now, or None when it can."""
    from printgate.core.clock import iso
    from printgate.webhooks.models import WebhookEndpoint
    from printgate.webhooks.outbound.states import DeliveryStatus

    if delivery.status == DeliveryStatus.SENDING:
        return "An attempt of this delivery is in flight"
    if delivery.status == DeliveryStatus.PENDING:
        return f"This delivery is already scheduled (next attempt at {iso(delivery.next_attempt_at)})"
    if delivery.kind == "endpoint":
        endpoint = session.get(WebhookEndpoint, delivery.endpoint_id) if delivery.endpoint_id else None
        if endpoint is None:
            return "The endpoint of this delivery was deleted"
        if not endpoint.enabled:
            return "The endpoint is disabled: enable it first (POST /webhook-endpoints/{id}/enable)"
    return None


def retry_deliveries(session: Session, ids: list[str] | None = None, *,
                     all_failed: bool = False) -> tuple[list[str], dict[str, str]]:
    """One more attempt now for these deliveries, or for every failed one; returns the ids queued and,
    for the others, why not (unknown id, in flight, already scheduled, endpoint deleted or disabled)."""
    from sqlmodel import col, select

    from printgate.webhooks.models import OutboundDelivery
    from printgate.webhooks.outbound import retry_delivery
    from printgate.webhooks.outbound.states import DeliveryStatus

    if all_failed:
        rows = list(session.exec(select(OutboundDelivery).where(OutboundDelivery.status == DeliveryStatus.FAILED)
                                 .order_by(col(OutboundDelivery.created_at))).all())
    else:
        found = {d.id: d for d in session.exec(select(OutboundDelivery).where(
            col(OutboundDelivery.id).in_(ids or []))).all()}
        rows = [found[i] for i in dict.fromkeys(ids or []) if i in found]
    refused = {i: "No such delivery" for i in dict.fromkeys(ids or []) if not all_failed and i not in
               {d.id for d in rows}}
    retried = []
    for delivery in rows:
        reason = retry_refusal(session, delivery)
        if reason is not None:
            refused[delivery.id] = reason
            continue
        retry_delivery(session, delivery)
        retried.append(delivery.id)
    return retried, refused


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    hooks = sub.add_parser("webhooks", parents=[common],
                           help="list outbound webhook deliveries that failed or wait; retry them")
    hooks_sub = hooks.add_subparsers(dest="webhooks_cmd", required=True)
    lst = hooks_sub.add_parser("list", parents=[common], help="deliveries not delivered (failed or waiting), oldest first")
    lst.add_argument("--failed", action="store_true", help="only those whose retries are spent (or whose endpoint "
                                                         "was disabled)")
    lst.add_argument("--account", default=None, help="only this account's (its name)")
    lst.add_argument("--limit", type=int, default=100)
    lst.add_argument("--json", action="store_true")
    retry = hooks_sub.add_parser("retry", parents=[common], help="one more attempt now (as POST "
                                 "/webhook-deliveries/{id}/retry)")
    retry.add_argument("ids", nargs="*", metavar="ID")
    retry.add_argument("--all-failed", action="store_true", help="every failed delivery")
    retry.add_argument("--json", action="store_true")
    hooks.set_defaults(func=cmd_webhooks)


def cmd_webhooks(args: argparse.Namespace) -> int:
    from sqlmodel import Session, col, select

    from printgate.core.db import get_engine, migrate
    from printgate.core.models import Account
    from printgate.webhooks import endpoints
    from printgate.webhooks.models import OutboundDelivery
    from printgate.webhooks.outbound.states import DeliveryStatus

    migrate()
    with Session(get_engine(), expire_on_commit=False) as session:
        if args.webhooks_cmd == "list":
            statuses = [DeliveryStatus.FAILED] if args.failed else [
                DeliveryStatus.FAILED, DeliveryStatus.PENDING, DeliveryStatus.SENDING]
            query = select(OutboundDelivery).where(col(OutboundDelivery.status).in_(statuses))
            if args.account:
                query = query.join(Account, col(Account.id) == OutboundDelivery.account_id).where(
                    Account.name == args.account)
            found = list(session.exec(query.order_by(col(OutboundDelivery.created_at)).limit(args.limit)).all())
            rows = endpoints.deliveries_wire(session, found)
            if args.json:
                print(json.dumps(rows))
            elif not rows:
                print("No failed deliveries." if args.failed else "No deliveries waiting or failed.")
            for row in rows if not args.json else []:
                print(f"{row['id']}  {row['eventType']:<20} {row['status']:<8} {row['attemptCount']} attempt(s)  "
                      f"{row['url']}  {(row['lastError'] or '')[:100]}")
            return 0
        if not args.ids and not args.all_failed:
            print("printgate: name the deliveries to retry (ids from `printgate webhooks list`), or --all-failed",
                  file=sys.stderr)
            return 2
        retried, refused = retry_deliveries(session, args.ids, all_failed=args.all_failed)
    if args.json:
        print(json.dumps({"retried": retried, "refused": refused}))
    else:
        print(f"Queued {len(retried)} delivery(ies) for one more attempt now.")
        for delivery_id, reason in refused.items():
            print(f"printgate: {delivery_id} not retried: {reason}", file=sys.stderr)
    return 2 if refused and not args.all_failed else 0
