"""`station member add|renew|list|show|export|forget|pin|secure-only`."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import sys

from station import memberships, plans, registry
from station.cli.context import Context
from station.cli.member_import import register_import
from station.cli.member_outcomes import register_outcomes
from station.cli.secure import register_secure_only
from station.db import BadgeStatus, Member, MemberKind, utcnow
from station.db.live import live_rows
from station.errors import Conflict, InvalidInput


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("member", help="members, visitors and staff")
    commands = parser.add_subparsers(dest="member_command", metavar="ACTION", required=True)

    add = commands.add_parser("add", help="register a person")
    add.add_argument("first_name")
    add.add_argument("last_name", nargs="?", default="")
    add.add_argument("--kind", choices=[k.value for k in MemberKind], default="member")
    add.add_argument("--email")
    add.add_argument("--commune", help="INSEE code of the home commune (for the tallies)")
    add.add_argument("--plan", help="membership plan, one of [plans] (default: the default plan)")
    add.add_argument(
        "--birth-year",
        type=int,
        metavar="YYYY",
        help="optional, for the figures by age band (a year, never a date)",
    )
    add.add_argument(
        "--until",
        type=dt.date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="membership valid until this day (default: the plan's length, one year without plans)",
    )
    add.add_argument("--no-membership", action="store_true", help="no membership for now")
    add.add_argument(
        "--consent",
        action="store_true",
        help="the person gave consent to the processing of their data",
    )
    add.set_defaults(handler=run_add)

    renew = commands.add_parser(
        "renew", help="renew a membership, or change its plan (effective today)"
    )
    renew.add_argument("member", help="id (or its first 8 characters), email or full name")
    renew.add_argument("--plan", help="the new plan (default: the current one)")
    renew.add_argument(
        "--until",
        type=dt.date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="valid until this day (default: the plan's length)",
    )
    renew.set_defaults(handler=run_renew)

    listing = commands.add_parser("list", help="list people")
    listing.add_argument("--search", help="part of a name or email")
    listing.add_argument("--kind", choices=[k.value for k in MemberKind])
    listing.set_defaults(handler=run_list)

    show = commands.add_parser("show", help="one person with badges, memberships, trainings")
    show.add_argument("member", help="id (or its first 8 characters), email or full name")
    show.set_defaults(handler=run_show)

    export = commands.add_parser("export", help="everything held about a person (JSON)")
    export.add_argument("member")
    export.add_argument(
        "--central",
        action="store_true",
        help="what the central registry holds (every site's history) instead of this site",
    )
    export.set_defaults(handler=run_export)

    forget = commands.add_parser(
        "forget", help="erase a person: identity, badges, rights; history kept anonymous"
    )
    forget.add_argument("member")
    forget.add_argument("--yes", action="store_true", help="confirm the erasure")
    forget.set_defaults(handler=run_forget)

    pin = commands.add_parser(
        "pin",
        help="set a staff member's PIN (read from standard input), at central",
        description="The PIN (4 to 12 digits) is read from standard input: asked twice "
        "on a terminal, one line otherwise. Only its argon2id hash is kept, at central; "
        "it reaches the sites with the next sync, never the agents.",
    )
    pin.add_argument("member", help="id (or its first 8 characters), email or full name")
    pin.add_argument("--clear", action="store_true", help="remove the PIN")
    pin.set_defaults(handler=run_pin)
    register_outcomes(commands)  # skill, company
    register_secure_only(commands)
    register_import(commands)


def run_add(args: argparse.Namespace, ctx: Context) -> int:
    today = dt.date.today()
    plan = _plan(ctx, args.plan)
    days = _plan_days(ctx, plan)
    until = args.until or (today + dt.timedelta(days=days - 1) if days else None)
    if until is not None and until < today:
        raise InvalidInput(
            f"--until {until} is in the past: the membership would already "
            f"be over (use --no-membership for none)"
        )
    with ctx.session() as session:
        holder = registry.email_holder(session, args.email) if args.email else None
        if holder is not None:
            raise Conflict(
                f"{args.email} is already the email of {holder.display_name} ({str(holder.id)[:8]})"
            )
        site = ctx.config.site.id
        member = registry.add_member(
            session,
            args.first_name,
            args.last_name,
            kind=MemberKind(args.kind),
            email=args.email,
            home_commune=args.commune,
            birth_year=args.birth_year,
            consent_at=utcnow() if args.consent else None,
            origin_site=site,
            today=today,
        )
        if not args.no_membership:
            memberships.add_membership(session, member, plan, today, until, origin_site=site)
        record = member_row(member)
    if ctx.json_output:
        ctx.output_one(record)
    else:
        ctx.console.print(f"Added {record['name']} ({record['id']}).")
    return 0


def run_renew(args: argparse.Namespace, ctx: Context) -> int:
    plan = _plan(ctx, args.plan) if args.plan else None
    with ctx.session() as session:
        member = registry.find_member(session, args.member)
        membership = memberships.renew_membership(
            session,
            member,
            today=dt.date.today(),
            plan=plan,
            until=args.until,
            default_days=lambda code: _plan_days(ctx, code),
            default_plan=_plan(ctx, None),
            origin_site=ctx.config.site.id,
        )
        record = {
            "member": member.display_name,
            "plan": membership.plan,
            "valid_from": membership.valid_from,
            "valid_until": membership.valid_until,
        }
    if ctx.json_output:
        ctx.output_one(record)
    else:
        ctx.console.print(
            f"{record['member']}: {record['plan']} from {record['valid_from']} "
            f"until {record['valid_until'] or 'further notice'}."
        )
    return 0


def _plan(ctx: Context, wanted: str | None) -> str:
    """The plan to record: the one asked, checked against [plans], or the default."""
    return plans.membership_plan(ctx.config, wanted)


def _plan_days(ctx: Context, plan: str) -> int:
    return plans.plan_days(ctx.config, plan)


def run_list(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.session() as session:
        if args.search:
            members = registry.search_members(session, args.search, limit=1000)
        else:
            members = registry.members(session)
        if args.kind:
            members = [m for m in members if m.kind.value == args.kind]
        rows = [member_row(m) for m in members]
    ctx.output(rows, ["id", "name", "kind", "email", "home_commune", "badges"], title="Members")
    return 0


def run_show(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.session() as session:
        member = registry.find_member(session, args.member)
        record = member_row(member) | {
            "secure_only": member.secure_only,
            "consent_at": member.consent_at,
            "memberships": [
                f"{m.plan}: {m.valid_from} → {m.valid_until or '…'}"
                for m in live_rows(member.memberships)
            ],
            "badge_list": [
                f"{b.kind}{' ' + b.label if b.label else ''} {b.status.value} "
                f"(enrolled {b.enrolled_at:%Y-%m-%d}, {str(b.id)[:8]})"
                for b in live_rows(member.badges)
            ],
            "trainings": [
                f"{t.training_code} by {t.granted_by or '?'} until "
                f"{t.expires_at.date() if t.expires_at else 'no expiry'}"
                for t in live_rows(member.trainings)
            ],
        }
    ctx.output_one(record)
    return 0


def run_export(args: argparse.Namespace, ctx: Context) -> int:
    import json

    from sqlalchemy.orm import Session

    from station.db import open_database
    from station.privacy import export

    if args.central:
        config = ctx.config
        engine = open_database(config.resolve_url(config.central.url), "central registry")
        try:
            with Session(engine) as session:  # reads only
                data = export(session, registry.find_member(session, args.member))
        finally:
            engine.dispose()
    else:
        with ctx.session() as session:
            data = export(session, registry.find_member(session, args.member))
    json.dump(data, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
    return 0


def run_forget(args: argparse.Namespace, ctx: Context) -> int:
    from station.db import open_database
    from station.erasure import forget_everywhere
    from station.errors import StationError
    from sync import central

    def confirm(name: str) -> None:
        if not args.yes:
            raise StationError(f"this erases {name} for good; add --yes to confirm")

    config = ctx.config
    engine = open_database(config.resolve_url(config.central.url), "central registry")
    try:
        name = forget_everywhere(
            args.member,
            central=lambda: central.session(engine),
            site=ctx.session,
            site_id=config.site.id,
            confirm=confirm,
        )
    finally:
        engine.dispose()
    if ctx.json_output:
        ctx.output_one({"forgotten": name})
    else:
        ctx.console.print(f"{name} is erased; their visits remain only as anonymous tallies.")
    return 0


def run_pin(args: argparse.Namespace, ctx: Context) -> int:
    from station import staff_pin
    from station.db import open_database
    from sync import central

    try:
        pin = None if args.clear else staff_pin.validate_pin(_read_pin())
    except staff_pin.InvalidPin as exc:
        print(f"station: {exc}", file=sys.stderr)
        return 2
    config = ctx.config
    engine = open_database(config.resolve_url(config.central.url), "central registry")
    try:
        # At central, which masters people: the revision carries the hash to the sites.
        with central.session(engine) as session:
            member = registry.find_member(session, args.member)
            if pin is None:
                staff_pin.clear_pin(session, member)
            else:
                staff_pin.set_pin(session, member, pin)
            name = member.display_name
    finally:
        engine.dispose()
    if ctx.json_output:
        ctx.output_one({"member": name, "pin": "cleared" if pin is None else "set"})
    else:
        done = "removed" if pin is None else "set"
        ctx.console.print(f"{name}: staff PIN {done} at central; sites get it at the next sync.")
    return 0


def _read_pin() -> str:
    """The PIN from standard input: typed twice, unseen, on a terminal; one line otherwise."""
    from station.staff_pin import InvalidPin

    if sys.stdin.isatty():
        first = getpass.getpass("PIN: ")
        if getpass.getpass("PIN again: ") != first:
            raise InvalidPin("the two PINs differ; nothing changed")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def member_row(member: Member) -> dict[str, object]:
    return {
        "id": str(member.id),
        "name": member.display_name,
        "kind": member.kind.value,
        "email": member.email,
        "home_commune": member.home_commune,
        "badges": sum(1 for b in live_rows(member.badges) if b.status is BadgeStatus.ACTIVE),
    }
