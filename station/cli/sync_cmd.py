"""`station sync [--once]`: keep the site in step with central and the agents."""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys
import threading
from types import FrameType
from typing import TYPE_CHECKING

from station.cli.context import Context

if TYPE_CHECKING:
    from rich.progress import TaskID


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "sync", help="keep the site database in step with central, and agents with the site"
    )
    parser.add_argument(
        "--once", action="store_true", help="one round, then exit (non-zero if it failed)"
    )
    parser.add_argument(
        "--no-mqtt",
        action="store_true",
        help="database only: no grants to agents, no events from them",
    )
    parser.set_defaults(handler=run_sync)


def run_sync(args: argparse.Namespace, ctx: Context) -> int:
    from station.db import open_database
    from station.errors import DatabaseUnreachable
    from sync.service import SyncService

    # A database that is missing, empty or behind is a setup step, not a sync failure:
    # stop at once saying which `station db upgrade` to run. A central that does not
    # answer is an outage: the service rides it out (and `--once` reports it).
    config = ctx.config
    open_database(config.resolve_url(config.database.url)).dispose()
    with contextlib.suppress(DatabaseUnreachable):
        open_database(config.resolve_url(config.central.url), "central registry").dispose()

    # The service logs its state changes at INFO: show them unless asked to be quiet.
    logging.getLogger("sync").setLevel(logging.INFO if args.verbose < 2 else logging.DEBUG)
    progress = _progress_bar(ctx) if ctx.console.is_terminal else None
    service = SyncService(
        ctx.config, mqtt=not args.no_mqtt, listen=not args.once, progress=progress
    )
    with service:
        if args.once:
            report = service.run_once()
            _stop_bar(progress)
            summary = {
                "ok": report.ok,
                "error": report.error,
                "uploaded": report.uploaded,
                "accepted": report.accepted,
                "rejected": report.rejected,
                "downloaded": report.downloaded,
                "cursor": report.cursor,
                "published": report.published,
            }
            ctx.output_one(summary)
            return 0 if report.ok else 1
        stop = threading.Event()

        def _stop(_signum: int, _frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        print(f"station sync: site {ctx.config.site.id}; Ctrl+C stops", file=sys.stderr)
        service.run(stop)
    return 0


class _Bar:
    def __init__(self, ctx: Context) -> None:
        from rich.progress import Progress

        self.progress = Progress(console=ctx.console, transient=False)
        self.task: TaskID | None = None

    def __call__(self, done: int, total: int) -> None:
        if total == 0:
            return
        if self.task is None:
            self.progress.start()
            self.task = self.progress.add_task("registry from central", total=total)
        self.progress.update(self.task, completed=done, total=total)
        if done >= total:
            self.progress.stop()


def _progress_bar(ctx: Context) -> _Bar:
    return _Bar(ctx)


def _stop_bar(bar: _Bar | None) -> None:
    if bar is not None and bar.task is not None:
        bar.progress.stop()
