"""`station kiosk [--fullscreen] [--id KIOSK] [--screenshots DIR]`."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from station.cli.context import Context
from station.errors import ConfigError, StationError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("kiosk", help="run the entrance kiosk (touch screen)")
    parser.add_argument(
        "--id",
        dest="kiosk_id",
        metavar="KIOSK",
        help="kiosk id from [kiosks] (default: the only or first one)",
    )
    parser.add_argument(
        "--fullscreen",
        action="store_true",
        help="full screen without decorations; only staff mode can quit",
    )
    parser.add_argument(
        "--hide-cursor",
        action="store_true",
        default=None,
        help="hide the mouse cursor (default: kiosks.ID.hide_cursor)",
    )
    parser.add_argument(
        "--keyboard",
        choices=("auto", "on", "off"),
        default="auto",
        help="Qt's on-screen keyboard: auto = when no keyboard is plugged in",
    )
    parser.add_argument(
        "--no-bus", action="store_true", help="do not connect to the broker (no remote commands)"
    )
    parser.add_argument(
        "--screenshots",
        metavar="DIR",
        type=Path,
        help="render every screen in French and English to DIR and exit",
    )
    parser.set_defaults(handler=run)


def require_qt() -> None:
    """The kiosk's extra is installed, or a one-line `StationError` says which to install.

    A Pi set up with `station[agent]` has no PySide6: without this check the
    first `from kiosk...` would end in an ImportError traceback.
    """
    try:
        import PySide6  # noqa: F401
    except ImportError as exc:
        raise StationError(
            "the kiosk needs Qt (PySide6), not installed here: pip install 'station[kiosk]'"
        ) from exc


def run(args: argparse.Namespace, ctx: Context) -> int:
    config = ctx.config
    require_qt()
    if args.screenshots is not None:
        from kiosk.screenshots import render_all

        for path in render_all(config, args.screenshots):
            print(path)
        return 0
    if not config.kiosks:
        raise ConfigError(
            [
                f"{config.source}: [kiosks]: no kiosk declared; expected e.g. "
                '[kiosks.entrance] with reader = {{ path = "sim:kiosk" }}'
            ]
        )
    kiosk_id = args.kiosk_id or next(iter(config.kiosks))
    if not any(os.environ.get(v) for v in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")):
        # Qt would abort (SIGABRT) with a page about platform plugins.
        raise StationError(
            "no display: run the kiosk in a desktop session, or under "
            "xvfb-run -a -s '-screen 0 1280x800x24' station kiosk"
        )
    from kiosk.app import Kiosk, use_virtual_keyboard

    use_virtual_keyboard(args.keyboard)
    kiosk = Kiosk(
        config,
        kiosk_id,
        fullscreen=args.fullscreen,
        hide_cursor=args.hide_cursor,
        bus=not args.no_bus,
    )
    return kiosk.run()
