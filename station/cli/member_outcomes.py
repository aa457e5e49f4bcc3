"""`station member skill|company`: what staff record of a person's return on the site.

A skill from the catalogue (`[skills]`) and a company created (its SIREN checked, the
offer that hosted it a purpose of `[[purposes]]`), each recorded with this site.
A skill, a SIREN or an offer that is not allowed is refused with exit status 2.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from zoneinfo import ZoneInfo

from station import outcomes, registry
from station.cli.context import Context

_REFUSED = (outcomes.UnknownSkill, outcomes.InvalidSiren, outcomes.UnknownOffer)


def register_outcomes(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    skill = commands.add_parser(
        "skill", help="record a digital skill a person gained (a code of [skills])"
    )
    skill.add_argument("member", help="id (or its first 8 characters), email or full name")
    skill.add_argument("skill", help="skill code, as declared under [skills]")
    skill.add_argument(
        "--on", type=dt.date.fromisoformat, metavar="YYYY-MM-DD", help="day gained (default: today)"
    )
    skill.add_argument("--by", default="", help="who recorded or assessed it")
    skill.set_defaults(handler=run_skill)

    company = commands.add_parser("company", help="record a company a member created")
    company.add_argument("member", help="id (or its first 8 characters), email or full name")
    company.add_argument("--name", required=True, help="the company's name")
    company.add_argument("--siren", required=True, help="its SIREN (9 digits, Luhn key checked)")
    company.add_argument(
        "--created",
        required=True,
        type=dt.date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="its creation date (the Kbis or INSEE notice)",
    )
    company.add_argument(
        "--offer", required=True, help="the offer that hosted it: a purpose of [[purposes]]"
    )
    company.set_defaults(handler=run_company)


def run_skill(args: argparse.Namespace, ctx: Context) -> int:
    config = ctx.config
    on = args.on or dt.datetime.now(ZoneInfo(config.site.timezone)).date()
    with ctx.session() as session:
        member = registry.find_member(session, args.member)
        try:
            record = outcomes.record_skill(
                session,
                member,
                args.skill,
                catalogue=config.skills,
                site_id=config.site.id,
                on=on,
                by=args.by,
            )
        except _REFUSED as exc:
            print(f"station: {exc}", file=sys.stderr)
            return 2
        row = {
            "member": member.display_name,
            "skill": record.skill,
            "recorded_on": record.recorded_on.isoformat(),
            "recorded_by": record.recorded_by,
        }
    if ctx.json_output:
        ctx.output_one(row)
    else:
        ctx.console.print(f"{row['member']}: {row['skill']} recorded on {row['recorded_on']}.")
    return 0


def run_company(args: argparse.Namespace, ctx: Context) -> int:
    config = ctx.config
    # The site's today: a company created this morning is not "in the future" at 00:30.
    now = dt.datetime.now(ZoneInfo(config.site.timezone))
    with ctx.session() as session:
        member = registry.find_member(session, args.member)
        try:
            company = outcomes.record_company(
                session,
                member,
                name=args.name,
                siren=args.siren,
                created_on=args.created,
                offer=args.offer,
                offers=[p.id for p in config.purposes],
                site_id=config.site.id,
                now=now,
            )
        except _REFUSED as exc:
            print(f"station: {exc}", file=sys.stderr)
            return 2
        row = {
            "member": member.display_name,
            "company": company.name,
            "siren": company.siren,
            "created_on": company.created_on.isoformat(),
            "offer": company.offer,
        }
    if ctx.json_output:
        ctx.output_one(row)
    else:
        ctx.console.print(
            f"{row['company']} (SIREN {row['siren']}, created {row['created_on']}, "
            f"{row['offer']}) recorded for {row['member']}."
        )
    return 0
