"""What every subcommand needs: the configuration, the database, the output."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from station.config import StationConfig, load_config

if TYPE_CHECKING:  # imported when used: `station agent` never needs SQLAlchemy or rich
    from rich.console import Console
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session


class Context:
    """Loads the configuration and opens the database lazily, once."""

    def __init__(self, config_file: str | None = None, json_output: bool = False) -> None:
        self.config_file = config_file
        self.json_output = json_output
        self._config: StationConfig | None = None
        self._engine: Engine | None = None
        self._console: Console | None = None

    @property
    def console(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console()
        return self._console

    @console.setter
    def console(self, console: Console) -> None:
        self._console = console

    @property
    def config(self) -> StationConfig:
        if self._config is None:
            self._config = load_config(self.config_file)
        return self._config

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from station.db import open_database

            self._engine = open_database(self.config.resolve_url(self.config.database.url))
        return self._engine

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success, rolled back on error."""
        from sqlalchemy.orm import Session

        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    def output(
        self, rows: Sequence[dict[str, Any]], columns: Sequence[str], title: str | None = None
    ) -> None:
        """Rows as a rich table for people, or as JSON with ``--json``."""
        if self.json_output:
            json.dump(list(rows), sys.stdout, ensure_ascii=False, default=str, indent=1)
            sys.stdout.write("\n")
            return
        from rich.table import Table

        table = Table(title=title)
        for column in columns:
            table.add_column(column.replace("_", " "))
        for row in rows:
            table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
        self.console.print(table)

    def output_one(self, record: dict[str, Any]) -> None:
        if self.json_output:
            json.dump(record, sys.stdout, ensure_ascii=False, default=str, indent=1)
            sys.stdout.write("\n")
            return
        from rich.table import Table

        table = Table(show_header=False)
        table.add_column(style="bold")
        table.add_column()
        for key, value in record.items():
            if isinstance(value, list):
                value = "\n".join(str(v) for v in value) or "—"
            table.add_row(key.replace("_", " "), "" if value is None else str(value))
        self.console.print(table)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
