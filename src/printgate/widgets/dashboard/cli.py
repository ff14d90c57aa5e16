"""``printgate users``: create, list, disable and enable the dashboard's users.

The password comes from a prompt (typed twice, not echoed) or, for scripts, ``--password-stdin``
(the first line of standard input); it never appears in the command line or the shell history.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import Any

from printgate.widgets.dashboard.roles import ROLES


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    users = sub.add_parser("users", parents=[common], help="create, list, disable and enable dashboard users")
    users_sub = users.add_subparsers(dest="users_cmd", required=True)
    create = users_sub.add_parser("create", parents=[common], help="add a user who signs in at /dashboard/")
    create.add_argument("--account", default="default", help="account (tenant) name; created if needed")
    create.add_argument("--email", required=True)
    create.add_argument("--role", choices=list(ROLES), default="staff",
                        help="owner: everything; staff: jobs, downloads and reviews (default)")
    create.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    create.add_argument("--json", action="store_true")
    lst = users_sub.add_parser("list", parents=[common])
    lst.add_argument("--account", default=None)
    lst.add_argument("--json", action="store_true")
    for name, text in (("disable", "stop a user signing in (ends their sessions)"), ("enable", "let them again")):
        toggle = users_sub.add_parser(name, parents=[common], help=text)
        toggle.add_argument("--account", default="default")
        toggle.add_argument("--email", required=True)
    users.set_defaults(func=cmd_users)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise SystemExit("printgate: the passwords differ")
    return first


def cmd_users(args: argparse.Namespace) -> int:
    from sqlmodel import Session, col, select

    from printgate.core.clock import iso
    from printgate.core.db import get_engine, migrate
    from printgate.core.keys import get_or_create_account
    from printgate.core.models import Account
    from printgate.widgets.dashboard import auth
    from printgate.widgets.dashboard.models import DashboardUser

    migrate()
    with Session(get_engine(), expire_on_commit=False) as session:
        if args.users_cmd == "create":
            password = _read_password(args.password_stdin)
            account = get_or_create_account(session, args.account)
            user = auth.create_user(session, account, args.email, args.role, password)
            data = {"id": user.id, "email": user.email, "role": user.role, "account": account.name}
            print(json.dumps(data) if args.json else
                  f"Created {user.role} {user.email} in account {account.name!r}: sign in at /dashboard/login")
            return 0
        if args.users_cmd == "list":
            query = select(DashboardUser, Account).where(DashboardUser.account_id == Account.id)
            if args.account:
                query = query.where(Account.name == args.account)
            rows = [{"id": u.id, "email": u.email, "role": u.role, "account": a.name, "disabled": u.disabled,
                     "createdAt": iso(u.created_at)}
                    for u, a in session.exec(query.order_by(col(Account.name), col(DashboardUser.email))).all()]
            if args.json:
                print(json.dumps(rows))
            for row in rows if not args.json else []:
                print(f"{row['email']:<32} {row['role']:<6} {row['account']:<16} "
                      f"{'disabled' if row['disabled'] else 'active'}")
            return 0
        named = session.exec(select(Account).where(Account.name == args.account)).first()
        if named is None:
            print(f"printgate: no account {args.account!r}", file=sys.stderr)
            return 2
        user = auth.set_disabled(session, named, args.email, args.users_cmd == "disable")
        print(f"{user.email} is now {'disabled' if user.disabled else 'enabled'}")
        return 0
