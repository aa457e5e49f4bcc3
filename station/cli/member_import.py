"""`station member import FILE [--mapping ...] [--dry-run]`: people from a CSV file, at
this site, with the console's importer (station.importer): the same reading, rules,
preview and idempotence. Every problem row is printed; the others are imported
(none with --dry-run). The people are written with this site as origin and go up to
central with the next sync, like `station member add`.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from station.cli.context import Context
from station.db import utcnow
from station.errors import InvalidInput
from station.importer.apply import apply
from station.importer.mapping import decode_mapping, encode_mapping
from station.importer.preview import Preview, preview
from station.importer.reading import read_sheet
from station.plans import membership_plan


def register_import(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "import",
        help="import people from a CSV file (a sign-up sheet); --dry-run to preview",
        description="Reads UTF-8 or Windows-1252, ';' or ',' separated, the columns "
        "guessed from their names (French or English). Rows whose person is already "
        "there (same email; without email, same names and commune) create nothing, so "
        "importing the same file again creates nobody.",
    )
    parser.add_argument("file", type=Path)
    parser.add_argument(
        "--mapping",
        metavar="TARGETS",
        help="one target per column, comma-separated, empty to ignore a column, e.g. "
        "'last_name,first_name,email,,commune'; targets: first_name, last_name, email, "
        "commune, joined, plan, consent, birth_year, badge, training:<code> (a yes/no column) "
        "(default: guessed)",
    )
    parser.add_argument("--dry-run", action="store_true", help="print the preview, write nothing")
    parser.set_defaults(handler=run_import)


def run_import(args: argparse.Namespace, ctx: Context) -> int:
    data = args.file.read_bytes()
    config = ctx.config
    mapping = None
    if args.mapping is not None:
        mapping = decode_mapping(args.mapping, len(read_sheet(data).headers))
    now = utcnow()
    with ctx.session() as session:
        shown = preview(
            session,
            data,
            mapping,
            today=dt.date.today(),
            badge_key=config.badge_key,
            plans={code: (plan.fr, plan.en) for code, plan in config.plans.items()},
        )
        if shown.mapping_problem is not None:
            raise InvalidInput(
                f"{shown.mapping_problem}; mapping {encode_mapping(shown.mapping)!r} "
                f"of the columns {', '.join(shown.sheet.headers)} (give --mapping)"
            )
        created = 0
        if not args.dry_run:
            created = apply(
                session,
                shown,
                now=now,
                badge_key=config.badge_key,
                plan_days={code: plan.days for code, plan in config.plans.items()},
                default_plan=membership_plan(config, None),
                origin_site=config.site.id,
                granted_by=f"import {args.file.name}"[:100],
            ).created
    _report(ctx, shown, created, args.dry_run)
    return 0


def _report(ctx: Context, shown: Preview, created: int, dry_run: bool) -> None:
    record = {
        "mapping": encode_mapping(shown.mapping),
        "new": len(shown.new),
        "already_there": len(shown.present),
        "problem_rows": shown.problem_rows,
        "created": created,
        "problems": [
            f"row {p.row}, {p.column}: {p.message} ({p.rule.value})" for p in shown.problems
        ],
    }
    ctx.output_one(record)
    if ctx.json_output:
        return
    verb = "would create" if dry_run else "created"
    ctx.console.print(
        f"{verb} {len(shown.new) if dry_run else created} people; "
        f"{len(shown.present)} already there; {len(shown.problem_rows)} problem rows."
    )
