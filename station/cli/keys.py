"""`station keys init|list|rotate|revoke`: the site's signing keys and the keys its
agents trust (`station.keystore`). Run on the site server, where sync runs."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from station.cli.context import Context
from station.keystore import DEFAULT_OVERLAP, KeyStore
from station.protocol.keys import TrustedKey


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("keys", help="the site's signing keys and trust list")
    actions = parser.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    init = actions.add_parser(
        "init", help="create the site key and each configured kiosk's key (keeps what exists)"
    )
    init.set_defaults(handler=run_init)
    listing = actions.add_parser("list", help="the keys agents trust, with their windows")
    listing.set_defaults(handler=run_list)
    rotate = actions.add_parser("rotate", help="a new key; the old one trusted through an overlap")
    which = rotate.add_mutually_exclusive_group(required=True)
    which.add_argument("--site", action="store_true", help="the site's signing key")
    which.add_argument("--kiosk", metavar="ID", help="a kiosk's issuer key")
    rotate.add_argument(
        "--overlap-days",
        type=_overlap_days,
        default=DEFAULT_OVERLAP.days,
        help=f"how long the old key stays trusted (default {DEFAULT_OVERLAP.days}; "
        "0 for a compromised key: every agent then needs the new site.pub deployed, "
        "docs/security.md)",
    )
    rotate.set_defaults(handler=run_rotate)
    revoke = actions.add_parser("revoke", help="trust a lost or stolen kiosk's key no more")
    revoke.add_argument("--kiosk", metavar="ID", required=True)
    revoke.set_defaults(handler=run_revoke)


def _overlap_days(text: str) -> float:
    try:
        days = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a number of days, not {text!r}") from None
    if not days >= 0:  # also refuses NaN
        raise argparse.ArgumentTypeError(f"an overlap is 0 days or more, not {text}")
    return days


def _store(ctx: Context) -> KeyStore:
    return KeyStore(ctx.config.keys_dir)


def run_init(args: argparse.Namespace, ctx: Context) -> int:
    created = _store(ctx).init(ctx.config.kiosks, dt.datetime.now(dt.UTC))
    ctx.console.print(
        f"keys in {ctx.config.keys_dir}: "
        + (", ".join(created) + " created" if created else "kept")
    )
    return 0


def run_list(args: argparse.Namespace, ctx: Context) -> int:
    trust = _store(ctx).trust()
    rows = [_row("site", t) for t in trust.site] + [_row("issuer", t) for t in trust.issuers]
    columns = ["role", "holder", "key_id", "not_before", "not_after"]
    ctx.output(rows, columns, title=f"{ctx.config.site.name}: trusted keys")
    return 0


def _row(role: str, trusted: TrustedKey) -> dict[str, Any]:
    return {
        "role": role,
        "holder": trusted.holder,
        "key_id": trusted.key_id,
        "not_before": trusted.not_before.isoformat() if trusted.not_before else "",
        "not_after": trusted.not_after.isoformat() if trusted.not_after else "",
    }


def run_rotate(args: argparse.Namespace, ctx: Context) -> int:
    store, now = _store(ctx), dt.datetime.now(dt.UTC)
    overlap = dt.timedelta(days=args.overlap_days)
    if args.site:
        key = store.rotate_site(now, overlap)
        what = "site key"
    else:
        if args.kiosk not in ctx.config.kiosks:
            ctx.console.print(f"no kiosk {args.kiosk!r} in {ctx.config.source}")
            return 2
        key = store.rotate_kiosk(args.kiosk, now, overlap)
        what = f"kiosk {args.kiosk}'s key (copy it with `station deploy kiosk {args.kiosk}`)"
    ctx.console.print(
        f"new {what}: {key.key_id}; the old one is trusted until {(now + overlap).isoformat()}"
    )
    return 0


def run_revoke(args: argparse.Namespace, ctx: Context) -> int:
    removed = _store(ctx).revoke_kiosk(args.kiosk)
    ctx.console.print(
        f"kiosk {args.kiosk}: {removed} key(s) no longer trusted; agents refuse its "
        "commands once the next snapshot reaches them"
    )
    return 0 if removed else 1
