"""Entry point of the `station` command: parses arguments and dispatches.

Each subcommand lives in its own module exposing ``register(subparsers)``; the
module sets ``handler`` on its parser with ``set_defaults(handler=...)``. A
handler receives the parsed arguments and a `Context` and returns an exit status.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from station import __version__
from station.cli.context import Context
from station.errors import ConfigError, StationError

# Modules under station.cli (or elsewhere) registering subcommands, in help order.
COMMAND_MODULES = (
    "station.cli.db",
    "station.cli.members",
    "station.cli.badges",
    "station.cli.trainings",
    "station.cli.config_cmd",
    "station.cli.purge",
)
OPTIONAL_COMMAND_MODULES = (
    "station.cli.reader",
    "station.cli.agent",
    "station.cli.kiosk",
    "station.cli.sync_cmd",
    "station.cli.report",
    "station.cli.demo",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="station", description="Badge check-in and access control for a tiers-lieu.")
    parser.add_argument("--config", metavar="PATH",
                        help="configuration file (default: $STATION_CONFIG or ./config.toml)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging")
    parser.add_argument("--version", action="version", version=f"station {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    for name in OPTIONAL_COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # a missing dependency of a present module is a bug
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING - 10 * min(args.verbose, 2),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    context = Context(config_file=args.config, json_output=args.json)
    try:
        return int(handler(args, context) or 0)
    except ConfigError as exc:
        for line in exc.problems:
            print(line, file=sys.stderr)
        return 2
    except StationError as exc:
        print(f"station: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        context.close()


if __name__ == "__main__":
    sys.exit(main())
