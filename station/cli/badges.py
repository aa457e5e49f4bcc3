"""`station badge enroll|revoke|list` (and issue|format: station/cli/badge_card.py)."""

from __future__ import annotations

import argparse

from station import registry
from station.cli import badge_card
from station.cli.context import Context
from station.credential import Credential
from station.db import Badge, BadgeStatus


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("badge", help="badges (credentials)")
    commands = parser.add_subparsers(dest="badge_command", metavar="ACTION", required=True)

    enroll = commands.add_parser("enroll", help="give a badge to a member")
    enroll.add_argument("member", help="member id, email or full name")
    enroll.add_argument("uid", help="badge UID in hex, as `station reader watch` prints it")
    enroll.add_argument("--label", default="", help="e.g. 'blue key fob'")
    enroll.set_defaults(handler=run_enroll)

    revoke = commands.add_parser("revoke", help="deactivate a badge (lost, returned)")
    revoke.add_argument("badge", help="badge UID in hex, or badge id")
    revoke.add_argument("--lost", action="store_true", help="mark as lost rather than revoked")
    revoke.set_defaults(handler=run_revoke)

    listing = commands.add_parser("list", help="list badges")
    listing.add_argument("--member", help="only this member's badges")
    listing.set_defaults(handler=run_list)
    badge_card.register(commands)  # issue, format: DESFire cards on a PC/SC reader


def run_enroll(args: argparse.Namespace, ctx: Context) -> int:
    key = ctx.config.badge_key
    with ctx.session() as session:
        member = registry.find_member(session, args.member)
        badge = registry.enroll_badge(
            session,
            member,
            _credential(args.uid),
            key,
            label=args.label,
            origin_site=ctx.config.site.id,
        )
        record = badge_row(badge)
    if ctx.json_output:
        ctx.output_one(record)
    else:
        ctx.console.print(f"Badge {record['id'][:8]} enrolled for {record['member']}.")
    return 0


def run_revoke(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.session() as session:
        badge = registry.find_badge(session, args.badge, ctx.config.badge_key)
        registry.revoke_badge(
            session,
            badge,
            status=BadgeStatus.LOST if args.lost else BadgeStatus.REVOKED,
            origin_site=ctx.config.site.id,
        )
        record = badge_row(badge)
    if ctx.json_output:
        ctx.output_one(record)
    else:
        ctx.console.print(f"Badge {record['id'][:8]} of {record['member']} is {record['status']}.")
    return 0


def run_list(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.session() as session:
        member = registry.find_member(session, args.member) if args.member else None
        rows = [badge_row(b) for b in registry.badges(session, member)]
    ctx.output(rows, ["id", "member", "kind", "label", "status", "enrolled_at"], title="Badges")
    return 0


def _credential(uid: str) -> Credential:
    try:
        return Credential.uid(uid)
    except ValueError as exc:
        from station.errors import StationError

        raise StationError(str(exc)) from None


def badge_row(badge: Badge) -> dict[str, str]:
    return {
        "id": str(badge.id),
        "member": badge.member.display_name,
        "member_id": str(badge.member_id),
        "kind": badge.kind,
        "label": badge.label,
        "status": badge.status.value,
        "enrolled_at": f"{badge.enrolled_at:%Y-%m-%d %H:%M}",
        "hash": badge.hash,
    }
