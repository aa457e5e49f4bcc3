"""Up: the site's history and its locally created registry rows, to central.

History rows (visits, access events, machine sessions) are pending while
``uploaded_at`` is empty. A batch is written at central in one transaction,
idempotently by id (``ON CONFLICT``), then marked uploaded at the site; a crash
between the two only sends the batch again, which changes nothing at central.

Registry rows a site created or changed (``dirty``) are offered one by one, each
in a savepoint, under the rules of docs/sync.md: the registry masters people and
rights, so a row changed at central since the site's copy keeps central's
version, and a badge already held by someone else at central is refused. Every
refusal is recorded at the site as a `SyncRejection`, and at central, in the same
transaction as the upload it answers, as a `CentralRefusal` for the console (which
comes down to the site for its staff mode's count).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, Table, delete, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from station.aggregates import local_day, refresh_entries, refresh_usage
from station.db import (
    Badge,
    BadgeStatus,
    MachineSession,
    Member,
    MemberTraining,
    SyncRejection,
    Visit,
    utcnow,
)
from station.db.refusals import RefusalReason
from station.figures import Report
from station.first_visits import first_days, record_first_visits
from station.ids import new_event_id
from station.merged import move_arrived, resolve
from station.people_late import count_late
from sync import central
from sync.errors import central_error
from sync.field_rules import field_refusal
from sync.refused import Refused, record
from sync.rows import CHUNK, Codec, copy_from_sqlite, execute_many, fetch, transcoder
from sync.tables import (
    HISTORY_MODELS,
    MUTABLE_HISTORY,
    NOT_UPLOADED,
    UP_REGISTRY_MODELS,
    primary_key,
    table_of,
)

log = logging.getLogger(__name__)

Checkpoint = Callable[[str], None]
MAX_PASSES = 50  # a row edited again while being offered is offered again, this often


@dataclass(frozen=True)
class UpResult:
    history: int = 0  # history rows sent (replays included)
    registry: int = 0  # registry rows accepted by central
    rejected: int = 0  # registry rows refused (see SyncRejection)


def upload_history(
    site_engine: Engine,
    central_engine: Engine,
    *,
    batch_size: int,
    checkpoint: Checkpoint | None = None,
    tallies: Tallies | None = None,
) -> int:
    """Send the site's new and changed history rows to central, in batches; with
    `tallies`, central's daily tallies of the days they touch are recomputed in the
    same transaction (a visit a week late lands in its own day)."""
    sent = 0
    for model in HISTORY_MODELS:
        table = table_of(model)
        at_id = [c.name for c in table.columns].index("id")
        while True:
            received = utcnow()
            with site_engine.connect() as site:
                site_codec = Codec(table, site)
                # When central got it, in the site's form as the rest of the row.
                stamp = site_codec.encode_value("uploaded_at", received)
                rows = fetch(site, _pending_sql(site_codec), [stamp, batch_size])
            if not rows:
                break
            mutable = MUTABLE_HISTORY.get(table.name)
            with _central_begin(central_engine) as connection:
                if connection.dialect.name == "postgresql" and site_codec.placeholder == "?":
                    copy_from_sqlite(connection, table, rows, update=mutable)
                else:
                    codec = Codec(table, connection)
                    sql = (
                        codec.upsert_sql(update=mutable, guard_revision=False)
                        if mutable
                        else codec.insert_ignore_sql()
                    )
                    execute_many(connection, sql, transcoder(table, site, connection)(rows))
                moves = _merged_named(connection, table, site_codec, rows)
                if tallies is not None:
                    tallies.refresh(connection, table, site_codec, rows, moves)
            if checkpoint:
                checkpoint("up.sent")
            ids = [row[at_id] for row in rows]
            with site_engine.begin() as site:
                mark = stamp
                if mutable:
                    _mark_unchanged(site, table, rows, mutable, site_codec.placeholder, mark)
                    sent += len(rows)
                    continue
                for start in range(0, len(ids), CHUNK):
                    chunk = ids[start : start + CHUNK]
                    site.exec_driver_sql(
                        f"UPDATE {table.name} SET uploaded_at = {site_codec.placeholder} "
                        f"WHERE id IN ({', '.join([site_codec.placeholder] * len(chunk))})",
                        (mark, *chunk),
                    )
            sent += len(rows)
    if sent:
        log.info("up: %d history rows sent", sent)
    return sent


def _pending_sql(codec: Codec) -> str:
    """The rows still to send, each with the time central receives it in place of
    its empty ``uploaded_at`` (first placeholder; the second is the batch's size)."""
    names = ", ".join(
        codec.placeholder if column == "uploaded_at" else codec.quote(column)
        for column in codec.columns
    )
    return (
        f"SELECT {names} FROM {codec.quote(codec.table.name)} "
        f"WHERE uploaded_at IS NULL LIMIT {codec.placeholder}"
    )


def _mark_unchanged(
    site: Connection,
    table: Table,
    rows: list[Any],
    mutable: Sequence[str],
    placeholder: str,
    mark: Any,
) -> None:
    """Mark sent rows as uploaded, unless changed since they were read (a check-out
    while the batch was at central): such a row stays pending and goes up again."""
    names = [c.name for c in table.columns]
    at = [names.index(column) for column in mutable]
    same = "IS" if site.dialect.name == "sqlite" else "IS NOT DISTINCT FROM"
    sql = (
        f"UPDATE {table.name} SET uploaded_at = {placeholder} WHERE id = {placeholder} "
        + "".join(f"AND {column} {same} {placeholder} " for column in mutable)
    )
    execute_many(site, sql, [(mark, row[names.index("id")], *(row[i] for i in at)) for row in rows])


@dataclass(frozen=True)
class Tallies:
    """Central's daily tallies of one site, recomputed for the days a batch touched."""

    site_id: str
    zone: ZoneInfo

    def refresh(
        self,
        central: Connection,
        table: Table,
        site_codec: Codec,
        rows: list[Any],
        moves: dict[uuid.UUID, uuid.UUID] | None = None,
    ) -> None:
        refresh, column = _TALLIED.get(table.name, (None, ""))
        if refresh is None:
            return
        at = [c.name for c in table.columns].index(column)
        moments = site_codec.decode_column(column, [row[at] for row in rows])
        days = {
            day
            for (moment,) in moments
            if moment is not None and (day := _day(moment, self.zone)) is not None
        }
        refresh(central, self.site_id, self.zone, days)
        # Late rows into periods frozen without them, judged on the first visits of
        # before this batch: so before the batch's are recorded.
        at_id = [c.name for c in table.columns].index("id")
        ids = [i for (i,) in site_codec.decode_column("id", [row[at_id] for row in rows])]
        count_late(central, self.site_id, self.zone, _REPORT[table.name], ids)
        if table.name == Visit.__tablename__:  # the batch's first visits, earliest kept
            at_member = [c.name for c in table.columns].index("member_id")
            members = site_codec.decode_column("member_id", [row[at_member] for row in rows])
            moved = moves or {}
            people = (moved.get(m, m) for (m,) in members)
            pairs = zip(people, (t for (t,) in moments), strict=True)
            record_first_visits(central, self.site_id, first_days(pairs, self.zone))


def _merged_named(
    central: Connection, table: Table, site_codec: Codec, rows: list[Any]
) -> dict[uuid.UUID, uuid.UUID]:
    """History rows just received naming a record merged at central since the site
    last synced: moved to the kept record (`station.merged`); the moves made."""
    if "member_id" not in table.c:
        return {}
    at = [c.name for c in table.columns].index("member_id")
    members = site_codec.decode_column("member_id", [row[at] for row in rows])
    moves = resolve(central, (m for (m,) in members))
    if moves:
        move_arrived(central, table, moves)
    return moves


def _day(moment: dt.datetime, zone: ZoneInfo) -> dt.date | None:
    """The local day of a history row, None at the ends of the calendar (a row an
    agent dated year 1 or 9999 must not stop the upload at every round)."""
    try:
        return local_day(moment, zone)
    except OverflowError:
        return None


_REPORT = {Visit.__tablename__: Report.ENTRIES, MachineSession.__tablename__: Report.USAGE}
_TALLIED: dict[str, tuple[Callable[[Connection, str, ZoneInfo, Iterable[dt.date]], None], str]] = {
    Visit.__tablename__: (refresh_entries, "checked_in_at"),
    MachineSession.__tablename__: (refresh_usage, "started_at"),
}


def upload_registry(
    site_engine: Engine, central_engine: Engine, site_id: str, *, batch_size: int
) -> tuple[int, int]:
    """Offer the site's dirty registry rows to central: (accepted, rejected)."""
    accepted = rejected = 0
    factory = central.sessions(central_engine)
    for model in UP_REGISTRY_MODELS:
        table = table_of(model)
        for _ in range(MAX_PASSES):
            with site_engine.connect() as site:
                rows = [
                    dict(r._mapping)
                    for r in site.execute(
                        select(table).where(table.c.dirty.is_(True)).limit(batch_size)
                    )
                ]
            if not rows:
                break
            outcomes: list[tuple[dict[str, Any], Refused | None]] = []
            try:
                with factory() as db, db.begin():
                    for row in rows:
                        outcome = _offer_in_savepoint(db, model, row, site_id)
                        if outcome is not None:
                            record(db, site_id, model, row, outcome, utcnow())
                        outcomes.append((row, outcome))
            except DBAPIError as exc:
                raise central_error(exc) from exc
            with site_engine.begin() as site:
                for row, reason in outcomes:
                    _settle(site, table, row, reason)
            accepted += sum(1 for _, reason in outcomes if reason is None)
            rejected += sum(1 for _, reason in outcomes if reason is not None)
    if accepted or rejected:
        log.info("up: %d registry rows accepted, %d refused", accepted, rejected)
    return accepted, rejected


def sync_up(
    site_engine: Engine,
    central_engine: Engine,
    site_id: str,
    *,
    batch_size: int,
    checkpoint: Checkpoint | None = None,
    zone: ZoneInfo | None = None,
) -> UpResult:
    """Registry then history up to central; given the site's `zone`, central's daily
    tallies follow the history as it arrives."""
    # Registry first: a visit refers to its member, who may have signed up here.
    accepted, rejected = upload_registry(
        site_engine, central_engine, site_id, batch_size=batch_size
    )
    history = upload_history(
        site_engine,
        central_engine,
        batch_size=batch_size,
        checkpoint=checkpoint,
        tallies=None if zone is None else Tallies(site_id, zone),
    )
    return UpResult(history=history, registry=accepted, rejected=rejected)


def _offer_in_savepoint(
    db: Session, model: Any, row: dict[str, Any], site_id: str
) -> Refused | None:
    moved = resolve(db.connection(), [row.get("member_id")])
    if moved:  # the site's copy names a record merged at central since
        row = {**row, "member_id": moved[row["member_id"]]}
    with db.begin_nested() as savepoint:
        try:
            return _offer(db, model, row, site_id)
        except IntegrityError as exc:
            savepoint.rollback()
            return Refused(RefusalReason.INVALID, f"refused by central: {_short(exc)}")


def _offer(db: Session, model: Any, row: dict[str, Any], site_id: str) -> Refused | None:
    """Apply one site row at central; None if accepted, else why it is refused."""
    broken = field_refusal(model, row)
    if broken is not None:
        return broken
    pk = primary_key(table_of(model))
    fields = {k: v for k, v in row.items() if k not in NOT_UPLOADED and k != pk}
    existing = db.get(model, row[pk])
    if existing is None:
        if model is not Member and db.get(Member, row["member_id"]) is None:
            # Its person's record was refused (a field rule): said, not a foreign key's error.
            return Refused(
                RefusalReason.INVALID,
                f"refused by central: its person ({str(row['member_id'])[:8]}) is not in "
                f"the registry (their record was refused)",
            )
        if model is Badge:
            return _offer_new_badge(db, row, fields, site_id)
        if model is MemberTraining:
            held = db.scalar(
                select(MemberTraining).where(
                    MemberTraining.member_id == row["member_id"],
                    MemberTraining.training_code == row["training_code"],
                )
            )
            if held is not None:
                return Refused(
                    RefusalReason.TRAINING_HELD,
                    f"training {row['training_code']} is already recorded at central "
                    f"for this member; central's record is kept",
                )
        db.add(model(**{pk: row[pk]}, **fields, origin_site=row["origin_site"] or site_id))
        db.flush()
        return None
    if all(getattr(existing, k) == v for k, v in fields.items()):
        return None  # already there: a replay after a lost acknowledgement
    if existing.revision != row["revision"]:
        return Refused(
            RefusalReason.CHANGED_AT_CENTRAL,
            f"changed at central since this site's copy (revision {existing.revision}, "
            f"site had {row['revision']}); the registry's version is kept",
        )
    for key, value in fields.items():
        setattr(existing, key, value)
    db.flush()
    return None


def _offer_new_badge(
    db: Session, row: dict[str, Any], fields: dict[str, Any], site_id: str
) -> Refused | None:
    holder = db.scalar(select(Badge).where(Badge.hash == row["hash"]))
    if holder is None:
        db.add(Badge(id=row["id"], **fields, origin_site=row["origin_site"] or site_id))
        db.flush()
        return None
    if holder.deleted_at is None and holder.status is BadgeStatus.ACTIVE:
        if holder.member_id == row["member_id"]:
            return Refused(
                RefusalReason.BADGE_ENROLLED,
                "this badge was already enrolled at central for the same member",
            )
        member = holder.member
        return Refused(
            RefusalReason.BADGE_HELD,
            f"badge already held by {member.display_name} ({str(member.id)[:8]}) at "
            f"central; enrolment refused",
            other_member_id=member.id,
        )
    # A revoked or deleted badge handed out again: central's row takes the enrolment
    # (the hash is unique), and the site's row gives way when it comes back down.
    for key, value in fields.items():
        setattr(holder, key, value)
    holder.deleted_at = None
    holder.origin_site = row["origin_site"] or site_id
    db.flush()
    return None


def _settle(site: Connection, table: Table, row: dict[str, Any], refused: Refused | None) -> None:
    pk = table.c[primary_key(table)]
    # Only clear `dirty` if nobody changed the row while it was being offered.
    same = (pk == row[pk.name]) & (table.c.updated_at == row["updated_at"])
    if refused is None:
        site.execute(update(table).where(same).values(dirty=False))
        return
    reason = refused.detail
    log.warning("up: %s %s refused: %s", table.name, row[pk.name], reason)
    site.execute(
        table_of(SyncRejection)
        .insert()
        .values(
            id=new_event_id(),
            entity=table.name,
            entity_id=str(row[pk.name]),
            reason=reason,
            at=utcnow(),
            resolved=False,
        )
    )
    if table.name in ("credentials", "member_trainings") and row["revision"] == 0:
        # Never accepted anywhere: a refused badge must not keep opening doors here.
        site.execute(delete(table).where(same))
    else:
        site.execute(update(table).where(same).values(dirty=False))


@contextmanager
def _central_begin(engine: Engine) -> Iterator[Connection]:
    try:
        with engine.begin() as connection:
            yield connection
    except DBAPIError as exc:
        raise central_error(exc) from exc


def _short(exc: BaseException) -> str:
    lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return lines[0] if lines else exc.__class__.__name__
