"""A real PostgreSQL server for the tests, and throwaway databases on it."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import ClauseElement, create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool

from tests.support.net import free_port, wait_listening

# Test data is throwaway: trade durability for speed.
FAST_SETTINGS = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"


def server_binaries() -> Path | None:
    """The newest installed PostgreSQL server bin directory (Debian layout), if any."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name)
    )
    return Path(found[-1]).parent if found else None


class PostgresServer:
    """initdb + pg_ctl in a temporary directory; as the postgres user when run as root."""

    def __init__(self, bin_dir: Path, port: int | None = None) -> None:
        self.bin_dir = bin_dir
        self.port = port or free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="station-pg-"))
        self.directory.chmod(0o755)
        self.data = self.directory / "data"
        self._started = False

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if os.geteuid() == 0:  # initdb refuses root
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, cwd="/", capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")

    def start(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.directory / "log"),
            "-w",
            "-o",
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 {FAST_SETTINGS}",
            "start",
        )
        self._started = True
        wait_listening(self.port, 10.0)

    def close(self) -> None:
        """Stop the server and remove its files; safe twice."""
        if self._started:
            self._started = False
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        shutil.rmtree(self.directory, ignore_errors=True)


def create_database(server_url: str, template: str | None = None) -> str:
    """Create a database with a random name; return its SQLAlchemy URL.

    Empty, or a copy of the database named ``template``: PostgreSQL copies its files,
    much faster than running the migrations again. Nobody may be connected to the
    template meanwhile.
    """
    name = f"test_{uuid.uuid4().hex[:16]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    finally:
        engine.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_database(server_url: str, url: str) -> None:
    """Drop a database made by `create_database`, even with sessions still open."""
    target = make_url(url)
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    finally:
        engine.dispose()


def indexes_used(engine: Engine, statement: ClauseElement) -> list[str]:
    """The indexes of PostgreSQL's plan for `statement` (its parameters written in). A
    test's tables are small enough to read whole: sequential scans are set aside, the
    question being which index a table of 100,000 people would be read by."""
    compiled = statement.compile(engine, compile_kwargs={"literal_binds": True})
    with engine.connect() as connection:
        connection.execute(text("SET enable_seqscan = off"))
        plan = connection.execute(text(f"EXPLAIN (FORMAT JSON) {compiled}")).scalar_one()
    return _index_names(plan[0]["Plan"])


def _index_names(node: dict[str, Any]) -> list[str]:
    found = [str(node["Index Name"])] if "Index Name" in node else []
    for child in node.get("Plans", []):
        found += _index_names(child)
    return found
