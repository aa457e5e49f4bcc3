"""`station config check|docs`."""

from __future__ import annotations

import argparse
import sys

from station.cli.context import Context


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("config", help="check the configuration, print its reference")
    commands = parser.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    commands.add_parser("check", help="validate the file (exit 2 on a problem)").set_defaults(
        handler=run_check
    )
    commands.add_parser("docs", help="print docs/configuration.md").set_defaults(handler=run_docs)


def run_check(args: argparse.Namespace, ctx: Context) -> int:
    config = ctx.config
    if ctx.json_output:
        ctx.output_one(
            {
                "file": str(config.source),
                "site": config.site.id,
                "agents": list(config.agents),
                "kiosks": list(config.kiosks),
            }
        )
    else:
        agents, kiosks = len(config.agents), len(config.kiosks)
        ctx.console.print(
            f"{config.source}: valid ({agents} agent{'s' * (agents != 1)}, "
            f"{kiosks} kiosk{'s' * (kiosks != 1)})."
        )
    return 0


def run_docs(args: argparse.Namespace, ctx: Context) -> int:
    from station.config.docs import generate

    sys.stdout.write(generate())
    return 0
