"""Sites filled, copied from the migrated template and uploaded to one central, for the
tests of `station report` at central; and the report's JSON document."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from station.cli.main import main
from station.db import make_engine
from sync.up import sync_up
from tests.support.sqlite_copy import copy_sqlite


@dataclass(frozen=True)
class Uploads:
    """Where the sites come from and where they go."""

    template: Path
    directory: Path
    central: Engine
    central_url: str
    config_factory: Callable[..., Path]
    zone: ZoneInfo

    def site(self, site: str, fill: Callable[[str, str], None], **section: str) -> list[str]:
        """`station report` arguments reading `site`'s database, filled by `fill(url, site)`
        and uploaded to central; `section` adds to the configuration's [site]."""
        url = copy_sqlite(self.template, self.directory / f"{site}.db")
        fill(url, site)
        engine = make_engine(url)
        try:
            sync_up(engine, self.central, site, batch_size=100, zone=self.zone)
        finally:
            engine.dispose()
        config = self.config_factory(
            {
                "site": {"id": site, **section},
                "database": {"url": url},
                "central": {"url": self.central_url},
            },
            name=f"{site}.toml",
        )
        return ["--config", str(config), "--json", "report"]


def report_document(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    """The JSON `station` prints for `args`, which must succeed."""
    assert main(list(args)) == 0
    document: dict[str, Any] = json.loads(capsys.readouterr().out)
    return document
