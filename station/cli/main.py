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
from collections.abc import Iterator, Sequence
from typing import Any

from station import __version__
from station.cli.context import Context
from station.errors import ConfigError, StationError

# Subcommand -> module registering it, in help order. Only the module of the command
# being run is imported, so `station agent` does not load SQLAlchemy or Qt.
COMMANDS = {
    "db": "station.cli.db",
    "member": "station.cli.members",
    "badge": "station.cli.badges",
    "training": "station.cli.trainings",
    "resource": "station.cli.secure",
    "config": "station.cli.config_cmd",
    "purge": "station.cli.purge",
    "reader": "station.cli.reader",
    "agent": "station.cli.agent",
    "kiosk": "station.cli.kiosk",
    "sync": "station.cli.sync_cmd",
    "report": "station.cli.report",
    "commands": "station.cli.commands_log",
    "demo": "station.cli.demo",
    "deploy": "station.cli.deploy",
    "keys": "station.cli.keys",
    "web": "station.cli.web",
}


SERVICES = frozenset({"agent", "sync", "kiosk", "demo", "web"})


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="station", description="Badge check-in and access control for a tiers-lieu."
    )
    _common_options(parser)
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging")
    parser.add_argument("--version", action="version", version=f"station {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    wanted = _command_in(argv)
    for name, module in COMMANDS.items():
        if wanted is None or name == wanted:
            importlib.import_module(module).register(subparsers)
    # `station member list --json` as well as `station --json member list`.
    for subparser in _subparsers_of(parser):
        _common_options(subparser, default=argparse.SUPPRESS)
    return parser


def _common_options(parser: argparse.ArgumentParser, default: Any = None) -> None:
    """--config and --json; on subcommands with a SUPPRESS default, so that leaving
    them out there keeps what was given before the subcommand."""
    parser.add_argument(
        "--config",
        metavar="PATH",
        default=default,
        help="configuration file (default: $STATION_CONFIG or ./config.toml)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        default=False if default is None else default,
        help="machine-readable output",
    )


def _subparsers_of(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """Every parser of a subcommand under `parser`, at any depth, each once."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            seen: set[int] = set()
            for subparser in action.choices.values():  # aliases repeat a parser
                if id(subparser) not in seen:
                    seen.add(id(subparser))
                    yield subparser
                    yield from _subparsers_of(subparser)


def _command_in(argv: Sequence[str] | None) -> str | None:
    """The subcommand named on the command line, if it is a known one."""
    if argv is None:
        return None
    args = list(argv)
    while args:
        token = args.pop(0)
        if token == "--config":
            args = args[1:]
        elif not token.startswith("-"):
            return token if token in COMMANDS else None
    return None


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    # Services say what they do (connections, state changes); one-shot commands stay quiet.
    base = logging.INFO if args.command in SERVICES else logging.WARNING
    logging.basicConfig(
        level=max(logging.DEBUG, base - 10 * args.verbose),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not args.verbose:
        # Alembic says at INFO which plugins it loads and which dialect it uses, each time
        # a service checks its database: warnings only, unless asked with -v. Migrations
        # that run are logged by station.migrations (station/migrations/env.py).
        logging.getLogger("alembic").setLevel(logging.WARNING)
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
