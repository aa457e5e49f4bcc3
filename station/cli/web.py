"""`station web [--host --port --proxy-headers]` and `station web user add|list|disable`.

The console (console/) reads and writes the central registry ([central].url); its
accounts are there too, so that two instances behind one proxy serve the same people.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING

from station.cli.context import Context
from station.db.staff import Role
from station.errors import StationError

if TYPE_CHECKING:
    from sqlalchemy import Engine

DEFAULT_PORT = 8765
GRACEFUL_STOP_S = 5  # seconds a stop waits for open requests (a live stream never ends)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "web", help="the staff console (a web application on the central registry)"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument(
        "--proxy-headers",
        action="store_true",
        help="trust X-Forwarded-For/-Proto from --forwarded-allow-ips (behind nginx with TLS: "
        "the client's address is logged, cookies are Secure)",
    )
    parser.add_argument(
        "--forwarded-allow-ips",
        default="127.0.0.1",
        metavar="IPS",
        help="proxies whose forwarded headers are trusted (comma-separated)",
    )
    parser.set_defaults(handler=run_serve)
    commands = parser.add_subparsers(dest="web_command", metavar="ACTION")
    user = commands.add_parser("user", help="staff accounts of the console")
    actions = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)

    add = actions.add_parser(
        "add",
        help="create an account; its password is read from standard input",
        description="The password (at least 12 characters) is read from standard input: "
        "asked twice on a terminal, one line otherwise. Only its argon2id hash is kept.",
    )
    add.add_argument("email")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--site", metavar="ID", help="the site of a manager or reception account")
    add.set_defaults(handler=run_user_add)

    listing = actions.add_parser("list", help="every account, with its role and state")
    listing.set_defaults(handler=run_user_list)

    disable = actions.add_parser("disable", help="disable an account (its sessions end at once)")
    disable.add_argument("email")
    disable.set_defaults(handler=run_user_disable)


def _central(ctx: Context) -> Engine:
    from station.db import open_database

    config = ctx.config
    return open_database(config.resolve_url(config.central.url), "central registry")


def run_user_add(args: argparse.Namespace, ctx: Context) -> int:
    from console import audit
    from console.accounts import WeakPassword, add_account, validate_password
    from console.clock import system_clock
    from station.db.staff import AuditAction
    from sync import central

    try:
        password = validate_password(_read_password())
    except WeakPassword as exc:
        print(f"station: {exc}", file=sys.stderr)
        return 2
    engine = _central(ctx)
    try:
        with central.session(engine) as session:
            now = system_clock()
            account = add_account(session, args.email, password, Role(args.role), now, args.site)
            audit.record(
                session,
                now,
                audit.COMMAND_LINE,
                AuditAction.ACCOUNT_CREATED,
                target=account.email,
                detail={"role": account.role.value, "site": account.site_id},
            )
            email, role = account.email, account.role.value
    finally:
        engine.dispose()
    if ctx.json_output:
        ctx.output_one({"email": email, "role": role, "site": args.site})
    else:
        ctx.console.print(f"{email}: console account created ({role}).")
    return 0


def run_user_list(args: argparse.Namespace, ctx: Context) -> int:
    from sqlalchemy.orm import Session

    from console.accounts import accounts

    engine = _central(ctx)
    try:
        with Session(engine) as session:
            rows = [
                {
                    "email": a.email,
                    "role": a.role.value,
                    "site": a.site_id,
                    "created": a.created_at.strftime("%Y-%m-%d %H:%M"),
                    "disabled": a.disabled_at.strftime("%Y-%m-%d %H:%M") if a.disabled_at else None,
                }
                for a in accounts(session)
            ]
    finally:
        engine.dispose()
    ctx.output(rows, ["email", "role", "site", "created", "disabled"], title="console accounts")
    return 0


def run_user_disable(args: argparse.Namespace, ctx: Context) -> int:
    from console import audit
    from console.accounts import disable_account
    from console.clock import system_clock
    from station.db.staff import AuditAction
    from sync import central

    engine = _central(ctx)
    try:
        with central.session(engine) as session:
            now = system_clock()
            account = disable_account(session, args.email, now)
            audit.record(
                session, now, audit.COMMAND_LINE, AuditAction.ACCOUNT_DISABLED, target=account.email
            )
            email = account.email
    finally:
        engine.dispose()
    if ctx.json_output:
        ctx.output_one({"email": email, "disabled": True})
    else:
        ctx.console.print(f"{email}: disabled; its console sessions are over.")
    return 0


def run_serve(args: argparse.Namespace, ctx: Context) -> int:
    try:
        import uvicorn

        from console.app import create_app
    except ImportError as exc:
        raise StationError(
            f"the console needs the web extra ({exc.name} is missing): pip install 'station[web]'"
        ) from exc
    from sync import central

    config = ctx.config
    engine = _central(ctx)
    try:
        app = create_app(
            central.sessions(engine),
            badge_key=config.badge_key,
            timezone=config.site.timezone,
            config=config,
        )
        print(f"station web: http://{args.host}:{args.port}/", file=sys.stderr)
        uvicorn.run(
            app,
            host=args.host,
            port=args.port,
            proxy_headers=args.proxy_headers,
            forwarded_allow_ips=args.forwarded_allow_ips if args.proxy_headers else None,
            log_level="info",
            # An open live site page (server-sent events) would hold a stop for minutes.
            timeout_graceful_shutdown=GRACEFUL_STOP_S,
        )
    finally:
        engine.dispose()
    return 0


def _read_password() -> str:
    """The password from standard input: typed twice, unseen, on a terminal; one line
    otherwise (a script pipes it, it never appears in the process list)."""
    from console.accounts import WeakPassword

    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Password again: ") != first:
            raise WeakPassword("the two passwords differ; nothing changed")
        return first
    return sys.stdin.readline().rstrip("\r\n")
