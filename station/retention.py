"""The retention purge: movement logs deleted after their period, the figures kept.

Visits, machine sessions and access events older than `movement_days` are deleted,
not anonymised: the daily tallies (`station.aggregates`) hold their figures, and the
distinct people of every period are counted before they go (`station.people.freeze`).
Rows go by whole local days: the purge freezes the days before the first one that
starts after the cutoff (`mark_frozen_before`), deletes their rows, and first folds
into the cells any row that arrived for an already frozen day since the last purge
(`station.aggregates.fold`). At a site only rows central already holds go, so nothing
is lost before it is uploaded: the frozen days stop before the first day with a row
not uploaded yet. A visitor is forgotten after `visitor_days` without a visit; the
purge keeps when each visitor was last seen (`VisitorLastSeen`) as it deletes the
visits that said it. The refusals kept for staff go after `movement_days` too, and,
at central, the refusals of its uploads resolved that long ago (`station.refusals`). Last,
the entry roll-ups of the days changed since the last purge are summed again
(`station.rollups`). The purge is a list of steps (`STEPS`), run in order.
docs/privacy.md says all of this.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, Select, delete, func, insert, select, union, union_all
from sqlalchemy.orm import Session

from station.aggregates import (
    SANE_FIRST,
    SANE_LAST,
    day_bounds,
    fold,
    frozen_before,
    local_day,
    lock_tallies,
    mark_frozen_before,
    mark_people_since,
)
from station.db import (
    AccessEvent,
    FoldedRow,
    MachineSession,
    Member,
    MemberKind,
    SyncRejection,
    Visit,
    VisitorLastSeen,
    utcnow,
)
from station.db.live import live
from station.people import freeze_before_purge
from station.periods import first_whole_day
from station.privacy import forget
from station.refusals import purge_resolved
from station.rollups import roll_up


@dataclass(frozen=True)
class PurgeResult:
    visits_deleted: int
    events_deleted: int
    sessions_deleted: int
    visitors_forgotten: int
    rejections_deleted: int = 0
    refusals_purged: int = 0  # central's resolved refusals (station.refusals.purge_resolved)
    late_days_folded: int = 0  # frozen days whose late rows were added to the figures
    days_rolled_up: int = 0  # days whose entry roll-ups were summed again (station.rollups)

    def counts(self) -> dict[str, int]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Scope:
    """What one purge may touch: a site's rows (None: every site, at central), older
    than `cutoff` for movement logs; visitors unseen since `stale` are forgotten."""

    site_id: str | None
    zone: ZoneInfo
    now: dt.datetime
    cutoff: dt.datetime
    stale: dt.datetime
    uploaded_only: bool
    # Each site's first day kept whole, once `_freeze_days` decided it.
    kept_from: dict[str, dt.date] = field(default_factory=dict)

    def history(self, model: Any, *conditions: Any) -> list[Any]:
        clauses = list(conditions)
        if self.site_id is not None:
            clauses.append(model.site_id == self.site_id)
        if self.uploaded_only:  # a purge never loses a row central does not hold yet
            clauses.append(model.uploaded_at.is_not(None))
        return clauses

    def before(self, site_id: str) -> dt.datetime:
        """The instant before which `site_id`'s visits and sessions go."""
        return day_bounds(self.kept_from[site_id], self.zone)[0]


Step = Callable[[Session, Scope], int]


def purge(
    session: Session,
    site_id: str | None,
    movement_days: int,
    visitor_days: int,
    *,
    zone: ZoneInfo,
    now: dt.datetime | None = None,
    uploaded_only: bool = True,
    dry_run: bool = False,
) -> PurgeResult:
    """Apply the retention periods. ``site_id`` None purges every site (central);
    `zone` is the sites' time zone (their local days).

    At central, pass a session that gives revisions to what it writes (the erased
    visitors' tombstones must reach the sites). ``dry_run`` runs the same steps in a
    savepoint rolled back: the counts of a real purge, nothing changed."""
    now = now or utcnow()
    scope = Scope(
        site_id,
        zone,
        now,
        cutoff=now - dt.timedelta(days=movement_days),
        stale=now - dt.timedelta(days=visitor_days),
        uploaded_only=uploaded_only,
    )
    savepoint = session.begin_nested() if dry_run else None
    try:
        lock_tallies(session.connection(), exclusive=True)  # no upload recomputes meanwhile
        # Distinct people of the periods, counted while the rows still name them.
        freeze_before_purge(session.connection(), site_id, zone, now, movement_days)
        return PurgeResult(**{name: step(session, scope) for name, step in STEPS})
    finally:
        if savepoint is not None:
            savepoint.rollback()


def last_check_in(member_id: uuid.UUID) -> Select[dt.datetime]:
    """A person's last check-in still held: one probe of the visits' index on
    (person, check-in), asked of each visitor the purge may forget."""
    return select(func.max(Visit.checked_in_at)).where(Visit.member_id == member_id)


def _forget_stale_visitors(session: Session, scope: Scope) -> int:
    """Visitors with no visit since `stale`, decided before any visit is deleted."""
    forgotten = 0
    candidates = session.scalars(
        select(Member).where(
            Member.kind == MemberKind.VISITOR, live(Member), Member.created_at < scope.stale
        )
    ).all()
    for visitor in candidates:
        last_visit = session.scalar(last_check_in(visitor.id))
        kept = session.get(VisitorLastSeen, visitor.id)
        times = [last_visit, kept.seen_at if kept is not None else None]
        seen = max((moment for moment in times if moment is not None), default=None)
        if seen is None or seen < scope.stale:
            forget(session, visitor, now=scope.now)
            forgotten += 1
    return forgotten


def _freeze_days(session: Session, scope: Scope) -> int:
    """Decide each site's first day kept whole, fold the late rows of the days frozen
    before, and freeze the days before it. The frozen days whose late rows were added."""
    folded = 0
    connection = session.connection()
    for site_id in _sites(session, scope):
        kept_from = _first_whole_day(session, scope, site_id)
        frozen = frozen_before(connection, site_id)
        if frozen is not None:
            # Rows of days frozen before are late arrivals, counted nowhere yet.
            until = day_bounds(min(frozen, kept_from), scope.zone)[0]
            folded += _fold_late(session, scope, site_id, until)
        # Rows before `kept_from` go; the days between it and an older freeze (a site
        # whose uploads stopped) hold only late rows, and wait for the next purge.
        scope.kept_from[site_id] = kept_from
        mark_frozen_before(connection, site_id, kept_from)  # never moved back
        # From the first day not frozen on, rows still name their people (`people_since`).
        whole = frozen_before(connection, site_id) or kept_from
        mark_people_since(session, site_id, whole)
    if scope.site_id is None and scope.kept_from:
        mark_people_since(session, None, max(scope.kept_from.values()))
    session.execute(delete(FoldedRow).where(FoldedRow.folded_at < scope.stale))
    return folded


def _fold_late(session: Session, scope: Scope, site_id: str, until: dt.datetime) -> int:
    """Fold the rows before `until` into their days' cells, but those already folded
    once (sent again) and those of no sane day (never counted): all of them go next."""
    late = _late_rows(session, site_id, until)
    again: set[uuid.UUID] = set()
    # In chunks: a site back after months sends tens of thousands of late rows, more
    # than one statement may bind.
    for chunk in _chunks([row_id for row_id, _ in late]):
        again.update(session.scalars(select(FoldedRow.id).where(FoldedRow.id.in_(chunk))))
        for model in (Visit, MachineSession):
            session.execute(
                delete(model)
                .where(model.id.in_([row_id for row_id in chunk if row_id in again]))
                .execution_options(synchronize_session=False)
            )
    fresh = [(row_id, at) for row_id, at in late if row_id not in again]
    days = {day for _, at in fresh if (day := _sane_day(at, scope.zone)) is not None}
    fold(session.connection(), site_id, scope.zone, days)
    for chunk in _chunks([row_id for row_id, _ in fresh]):
        session.execute(
            insert(FoldedRow), [{"id": row_id, "folded_at": scope.now} for row_id in chunk]
        )
    return len(days)


def _chunks(items: list[uuid.UUID], size: int = 5_000) -> list[list[uuid.UUID]]:
    return [items[n : n + size] for n in range(0, len(items), size)]


def _sane_day(moment: dt.datetime, zone: ZoneInfo) -> dt.date | None:
    """The local day of `moment`, if the tallies keep it (an agent's clock at year 1
    makes a row no day counts)."""
    try:
        day = local_day(moment, zone)
    except OverflowError:
        return None
    return day if SANE_FIRST <= day <= SANE_LAST else None


def _sites(session: Session, scope: Scope) -> list[str]:
    if scope.site_id is not None:
        return [scope.site_id]
    found = session.scalars(
        union(
            select(Visit.site_id).where(Visit.checked_in_at < scope.cutoff),
            select(MachineSession.site_id).where(MachineSession.started_at < scope.cutoff),
        )
    )
    return sorted(set(found))


def _first_whole_day(session: Session, scope: Scope, site_id: str) -> dt.date:
    """The first local day that starts at or after the cutoff, or, at a site, the day
    of its oldest row central does not hold yet if that comes first (a row of the
    cutoff's own day too: that whole day would freeze with it)."""
    day = first_whole_day(scope.cutoff, scope.zone)
    if scope.uploaded_only:
        start = day_bounds(day, scope.zone)[0]
        unsent = [
            session.scalar(
                select(func.min(Visit.checked_in_at)).where(
                    Visit.site_id == site_id,
                    Visit.uploaded_at.is_(None),
                    Visit.checked_in_at < start,
                )
            ),
            session.scalar(
                select(func.min(MachineSession.started_at)).where(
                    MachineSession.site_id == site_id,
                    MachineSession.uploaded_at.is_(None),
                    MachineSession.started_at < start,
                )
            ),
        ]
        # A row of no sane day holds back every day the tallies keep.
        days = [_sane_day(at, scope.zone) or SANE_FIRST for at in unsent if at is not None]
        day = min([day, *days])
    return day


def _late_rows(
    session: Session, site_id: str, until: dt.datetime
) -> list[tuple[uuid.UUID, dt.datetime]]:
    rows = session.execute(
        union_all(
            select(Visit.id, Visit.checked_in_at).where(
                Visit.site_id == site_id, Visit.checked_in_at < until
            ),
            select(MachineSession.id, MachineSession.started_at).where(
                MachineSession.site_id == site_id, MachineSession.started_at < until
            ),
        )
    )
    return [(row_id, at) for row_id, at in rows]


def _delete_visits(session: Session, scope: Scope) -> int:
    deleted = 0
    for site_id in scope.kept_from:
        before = Visit.site_id == site_id, Visit.checked_in_at < scope.before(site_id)
        _keep_last_seen(session, before)
        deleted += _count(
            session.execute(
                delete(Visit)
                .where(*before, *scope.history(Visit))
                .execution_options(synchronize_session=False)
            )
        )
    return deleted


def _keep_last_seen(session: Session, doomed: tuple[Any, ...]) -> None:
    """Keep when each live visitor was last seen, from the visits about to go."""
    live_visitors = select(Member.id).where(Member.kind == MemberKind.VISITOR, live(Member))
    seen = dict(
        session.execute(
            select(Visit.member_id, func.max(Visit.checked_in_at))
            .where(*doomed, Visit.member_id.in_(live_visitors))
            .group_by(Visit.member_id)
        ).all()
    )
    if not seen:
        return
    known: dict[uuid.UUID, VisitorLastSeen] = {
        row.member_id: row
        for row in session.scalars(
            select(VisitorLastSeen).where(VisitorLastSeen.member_id.in_(list(seen)))
        )
    }
    for member_id, at in seen.items():
        if member_id is None:
            continue
        if member_id in known:
            known[member_id].seen_at = max(known[member_id].seen_at, at)
        else:
            session.add(VisitorLastSeen(member_id=member_id, seen_at=at))
    session.flush()


def _delete_sessions(session: Session, scope: Scope) -> int:
    deleted = 0
    for site_id in scope.kept_from:
        deleted += _count(
            session.execute(
                delete(MachineSession)
                .where(
                    MachineSession.site_id == site_id,
                    MachineSession.started_at < scope.before(site_id),
                    *scope.history(MachineSession),
                )
                .execution_options(synchronize_session=False)
            )
        )
    return deleted


def _delete_events(session: Session, scope: Scope) -> int:
    return _count(
        session.execute(
            delete(AccessEvent)
            .where(*scope.history(AccessEvent, AccessEvent.at < scope.cutoff))
            .execution_options(synchronize_session=False)
        )
    )


def _delete_rejections(session: Session, scope: Scope) -> int:
    # Refusals name badges (hashes), people and agents' payloads: movement logs too.
    return _count(
        session.execute(
            delete(SyncRejection)
            .where(SyncRejection.at < scope.cutoff)
            .execution_options(synchronize_session=False)
        )
    )


def _purge_refusals(session: Session, scope: Scope) -> int:
    # Central's own (`central_refusals`); a site's copies go with their tombstones.
    if scope.site_id is not None:
        return 0
    return purge_resolved(session, scope.cutoff, scope.now)


# In order: visitors are judged on their visits before those go; the days are frozen
# (and their late rows folded) before their rows go; the roll-ups, once a day, last.
STEPS: tuple[tuple[str, Step], ...] = (
    ("visitors_forgotten", _forget_stale_visitors),
    ("late_days_folded", _freeze_days),
    ("visits_deleted", _delete_visits),
    ("sessions_deleted", _delete_sessions),
    ("events_deleted", _delete_events),
    ("rejections_deleted", _delete_rejections),
    ("refusals_purged", _purge_refusals),
    ("days_rolled_up", lambda session, scope: roll_up(session.connection(), scope.site_id)),
)


def _count(result: Any) -> int:
    return result.rowcount if isinstance(result, CursorResult) else 0
