"""`station member secure-only MEMBER on|off` and `station resource list|require-secure`:
the secure-badge policy (docs/agent.md, "Secure badges: policy").

Both are set at central, which masters people and each site's equipment: the next sync
brings them to the site and its agents' grants, as a PIN does.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select
from sqlalchemy.orm import Session

from station import registry
from station.cli.context import Context
from station.credential import CredentialKind
from station.db import BadgeStatus, Resource
from station.db.live import live, live_rows
from station.errors import NotFound

SWITCH = {"on": True, "off": False}


def register_secure_only(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    secure = commands.add_parser(
        "secure-only",
        help="whether a person's plain UID badges are refused everywhere (at central)",
        description="On: only a secure badge (DESFire) of theirs opens anything, at the "
        "doors, the machines and the kiosk; their plain UIDs are refused (secure_required).",
    )
    secure.add_argument("member", help="id (or its first 8 characters), email or full name")
    secure.add_argument("state", choices=list(SWITCH))
    secure.set_defaults(handler=run_secure_only)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("resource", help="the site's doors, machines and spaces")
    commands = parser.add_subparsers(dest="resource_command", metavar="ACTION", required=True)
    listing = commands.add_parser("list", help="the site's resources and their state")
    listing.set_defaults(handler=run_list)
    secure = commands.add_parser(
        "require-secure",
        help="whether a resource refuses plain UID badges (at central)",
        description="On: a plain UID is refused there (secure_required), whoever holds it; "
        "a secure read that fails is refused with its reason (auth_failed, bad_read).",
    )
    secure.add_argument("code", help="the resource's code, e.g. front-door")
    secure.add_argument("state", choices=list(SWITCH))
    secure.set_defaults(handler=run_require_secure)


@contextmanager
def _central(ctx: Context) -> Iterator[Session]:
    from station.db import open_database
    from sync import central

    config = ctx.config
    engine = open_database(config.resolve_url(config.central.url), "central registry")
    try:
        with central.session(engine) as session:
            yield session
    finally:
        engine.dispose()


def run_secure_only(args: argparse.Namespace, ctx: Context) -> int:
    wanted = SWITCH[args.state]
    with _central(ctx) as session:
        member = registry.find_member(session, args.member)
        member.secure_only = wanted
        name = member.display_name
        secure = sum(
            1
            for b in live_rows(member.badges)
            if b.kind == CredentialKind.SECURE and b.status is BadgeStatus.ACTIVE
        )
    record = {"member": name, "secure_only": wanted, "secure_badges": secure}
    if ctx.json_output:
        ctx.output_one(record)
        return 0
    ctx.console.print(
        f"{name}: secure only {args.state} at central; sites get it at the next sync."
    )
    if wanted and not secure:
        ctx.console.print(
            f"{name} has no secure badge yet: nothing of theirs opens until one is issued."
        )
    return 0


def run_require_secure(args: argparse.Namespace, ctx: Context) -> int:
    wanted = SWITCH[args.state]
    with _central(ctx) as session:
        resource = _resource(session, ctx.config.site.id, args.code)
        resource.require_secure = wanted
        name = resource.name
    if ctx.json_output:
        ctx.output_one({"resource": args.code, "require_secure": wanted})
    else:
        ctx.console.print(
            f"{name} ({args.code}): secure badges required {args.state} at central; "
            "its agent gets it with the next grants."
        )
    return 0


def run_list(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.session() as session:
        rows = [
            {
                "code": r.code,
                "kind": r.kind.value,
                "name": r.name,
                "enabled": r.enabled,
                "out_of_order": r.out_of_order,
                "require_secure": r.require_secure,
            }
            for r in session.scalars(
                select(Resource)
                .where(Resource.site_id == ctx.config.site.id, live(Resource))
                .order_by(Resource.code)
            )
        ]
    ctx.output(
        rows,
        ["code", "kind", "name", "enabled", "out_of_order", "require_secure"],
        title="Resources",
    )
    return 0


def _resource(session: Session, site_id: str, code: str) -> Resource:
    found = session.scalar(
        select(Resource).where(Resource.site_id == site_id, Resource.code == code, live(Resource))
    )
    if found is None:
        raise NotFound(f"no resource {code!r} at site {site_id!r} (see station resource list)")
    return found
