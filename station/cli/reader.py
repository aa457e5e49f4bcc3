"""`station reader watch|tap`: check a reader, or tap a badge on a simulated one."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import queue
import signal
import sys
import time
from types import FrameType
from typing import Any

from hardware.exc import HardwareError, ReaderUnavailable
from hardware.readers import open_reader
from hardware.readers.base import (
    BadgePresented,
    BadgeRemoved,
    BadRead,
    Reader,
    ReaderEvent,
    ReaderState,
)
from hardware.readers.sim import parse_badge, send_command
from station.cli.context import Context
from station.config import ReaderConfig, StationConfig
from station.credential import ReadFailure


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("reader", help="badge readers: watch taps, simulate taps")
    commands = parser.add_subparsers(dest="reader_command", metavar="ACTION", required=True)

    watch = commands.add_parser(
        "watch", help="print each reader event as a JSON line (Ctrl+C to stop)"
    )
    watch.add_argument(
        "--reader",
        metavar="ID",
        action="append",
        help="kiosk or agent id whose reader to watch (repeatable; "
        "default: every configured reader)",
    )
    watch.set_defaults(handler=run_watch)

    tap = commands.add_parser("tap", help="tap a badge on a running simulated reader")
    tap.add_argument("--reader", metavar="ID", required=True, help="kiosk or agent id")
    tap.add_argument(
        "uid",
        nargs="?",
        help="badge UID in hex, e.g. 04A1B2C3; secure:HEX for a secure (DESFire) credential",
    )
    mode = tap.add_mutually_exclusive_group()
    mode.add_argument(
        "--hold", action="store_true", help="leave the badge on the reader (machines with presence)"
    )
    mode.add_argument("--remove", action="store_true", help="take the badge off the reader")
    mode.add_argument(
        "--fail",
        choices=[r.value for r in ReadFailure],
        help="a secure read that failed, with the card's UID if given (a clone, a torn read)",
    )
    tap.set_defaults(handler=run_tap)


def configured_readers(config: StationConfig) -> dict[str, ReaderConfig]:
    """Every reader of the site, by kiosk or agent id."""
    readers = {kiosk_id: kiosk.reader for kiosk_id, kiosk in config.kiosks.items()}
    readers.update({agent_id: agent.reader for agent_id, agent in config.agents.items()})
    return readers


def event_json(event: ReaderEvent) -> dict[str, Any]:
    """The JSON form of a reader event, with its monotonic time as wall-clock ISO time."""
    wall = time.time() - (time.monotonic() - event.at)
    record: dict[str, Any] = {"reader": event.reader_id}
    if isinstance(event, BadgePresented | BadgeRemoved):
        record["event"] = "presented" if isinstance(event, BadgePresented) else "removed"
        record["credential"] = event.credential.to_json()
    elif isinstance(event, ReaderState):
        record["event"] = "available" if event.available else "unavailable"
        record["detail"] = event.detail
    elif isinstance(event, BadRead):
        record["event"] = "bad_read"
        record["reason"] = event.reason.value
        record["detail"] = event.detail
        if event.uid is not None:
            record["uid"] = event.uid.to_json()
    record["at"] = dt.datetime.fromtimestamp(wall, dt.UTC).isoformat(timespec="milliseconds")
    return {"event": record.pop("event"), **record}


def _select(config: StationConfig, wanted: list[str] | None) -> dict[str, ReaderConfig] | None:
    readers = configured_readers(config)
    unknown = [reader_id for reader_id in wanted or [] if reader_id not in readers]
    if unknown:
        print(
            f"station: unknown reader {unknown[0]!r}; expected a kiosk or agent id: "
            f"{', '.join(sorted(readers)) or 'none configured'}",
            file=sys.stderr,
        )
        return None
    return {k: v for k, v in readers.items() if not wanted or k in wanted}


def run_watch(args: argparse.Namespace, ctx: Context) -> int:
    config = ctx.config
    selected = _select(config, args.reader)
    if selected is None:
        return 2
    if not selected:
        print("station: no reader configured under [kiosks] or [agents]", file=sys.stderr)
        return 2
    events: queue.Queue[ReaderEvent | None] = queue.Queue()

    def stop(signum: int, frame: FrameType | None) -> None:
        events.put(None)

    previous = signal.signal(signal.SIGTERM, stop)
    readers: list[Reader] = []
    try:
        for reader_id, reader_config in selected.items():
            reader = open_reader(
                reader_id,
                reader_config,
                events.put,
                sim_socket=config.sim_socket(reader_id),
                keys_dir=config.keys_dir,
            )
            readers.append(reader)
            reader.start()
        while (event := events.get()) is not None:
            sys.stdout.write(json.dumps(event_json(event), ensure_ascii=False) + "\n")
            sys.stdout.flush()
    except (KeyboardInterrupt, BrokenPipeError):
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        for reader in readers:
            reader.close()
    return 0


def _tap_line(args: argparse.Namespace) -> str | None:
    """The sim protocol's line for `station reader tap`; None (said why) if refused."""
    if args.remove:
        return "remove"
    if args.fail and not args.uid:
        return f"fail {args.fail}"
    if not args.uid:
        print("station: a badge UID is needed (or --remove)", file=sys.stderr)
        return None
    try:
        badge = parse_badge(args.uid)
    except ValueError as exc:
        print(f"station: {exc}", file=sys.stderr)
        return None
    if args.fail:
        return f"fail {args.fail} {badge.hex}"
    return f"{'present' if args.hold else 'tap'} {badge.kind.value}:{badge.hex}"


def run_tap(args: argparse.Namespace, ctx: Context) -> int:
    config = ctx.config
    selected = _select(config, [args.reader])
    if selected is None:
        return 2
    path = selected[args.reader].path
    if not path.startswith("sim:"):
        print(
            f"station: reader {args.reader!r} is not simulated ({path!r}); only 'sim:' "
            "readers can be tapped",
            file=sys.stderr,
        )
        return 2
    line = _tap_line(args)
    if line is None:
        return 2
    socket_path = config.sim_socket(args.reader)
    try:
        answer = send_command(socket_path, line)
    except ReaderUnavailable as exc:
        owner = "kiosk" if args.reader in config.kiosks else "agent"
        print(
            f"station: {exc}; is `station reader watch` or the {owner} {args.reader!r} running?",
            file=sys.stderr,
        )
        return 1
    except (OSError, HardwareError) as exc:
        print(f"station: reader {args.reader!r} did not answer: {exc}", file=sys.stderr)
        return 1
    if answer != "ok":
        print(f"station: reader {args.reader!r} refused {line!r}: {answer}", file=sys.stderr)
        return 1
    return 0
