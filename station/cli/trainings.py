"""`station training grant|revoke|list`."""

from __future__ import annotations

import argparse

from station import registry
from station.cli.context import Context
from station.db import Member, MemberTraining


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("training", help="trainings held by members")
    commands = parser.add_subparsers(dest="training_command", metavar="ACTION", required=True)

    grant = commands.add_parser("grant", help="record that a member passed a training")
    grant.add_argument("member", help="member id, email or full name")
    grant.add_argument("training", help="training code, as declared under [trainings]")
    grant.add_argument("--by", default="", help="who trained them")
    grant.set_defaults(handler=run_grant)

    revoke = commands.add_parser("revoke", help="withdraw a training")
    revoke.add_argument("member")
    revoke.add_argument("training")
    revoke.set_defaults(handler=run_revoke)

    listing = commands.add_parser("list", help="trainings held (or the catalogue)")
    listing.add_argument("--member", help="only this member")
    listing.add_argument("--catalogue", action="store_true", help="the trainings offered")
    listing.set_defaults(handler=run_list)


def run_grant(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.session() as session:
        member = registry.find_member(session, args.member)
        held = registry.grant_training(
            session, member, args.training, granted_by=args.by, origin_site=ctx.config.site.id
        )
        record = held_row(held, member)
    if ctx.json_output:
        ctx.output_one(record)
    else:
        ctx.console.print(
            f"{record['member']} holds {record['training']} until "
            f"{record['expires'] or 'no expiry'}."
        )
    return 0


def run_revoke(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.session() as session:
        member = registry.find_member(session, args.member)
        registry.revoke_training(session, member, args.training, origin_site=ctx.config.site.id)
    if not ctx.json_output:
        ctx.console.print(f"Training {args.training} withdrawn from {member.display_name}.")
    else:
        ctx.output_one({"member": member.display_name, "training": args.training, "revoked": True})
    return 0


def run_list(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.session() as session:
        if args.catalogue:
            rows: list[dict[str, object]] = [
                {
                    "code": t.code,
                    "fr": t.name_fr,
                    "en": t.name_en,
                    "valid_days": t.valid_days or "no expiry",
                }
                for t in registry.trainings(session)
            ]
            ctx.output(rows, ["code", "fr", "en", "valid_days"], title="Trainings")
            return 0
        member = registry.find_member(session, args.member) if args.member else None
        rows = [held_row(held, holder) for held, holder in registry.trainings_held(session, member)]
    ctx.output(
        rows, ["member", "training", "granted_by", "granted_at", "expires"], title="Trainings held"
    )
    return 0


def held_row(held: MemberTraining, member: Member) -> dict[str, object]:
    return {
        "member": member.display_name,
        "member_id": str(member.id),
        "training": held.training_code,
        "granted_by": held.granted_by,
        "granted_at": f"{held.granted_at:%Y-%m-%d}",
        "expires": f"{held.expires_at:%Y-%m-%d}" if held.expires_at else None,
    }
