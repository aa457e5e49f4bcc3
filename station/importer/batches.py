"""Uploaded files kept at central between preview and confirmation (ImportBatch).

The console holds no state outside the database: an upload is a row, the preview and
the confirmation read it back. A batch's content (people's data) is dropped as soon as
it is imported, and an unconfirmed batch is deleted after `KEEP` (at the next upload).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from station.db.staff import ImportBatch

KEEP = dt.timedelta(days=1)


def store(
    session: Session, data: bytes, *, filename: str, account: str, now: dt.datetime
) -> ImportBatch:
    session.execute(
        delete(ImportBatch).where(
            ImportBatch.applied_at.is_(None), ImportBatch.created_at < now - KEEP
        )
    )
    batch = ImportBatch(
        created_at=now,
        account=account,
        filename=filename[:200],
        sha256=hashlib.sha256(data).hexdigest(),
        content=data,
        result={},
    )
    session.add(batch)
    session.flush()
    return batch


def load(session: Session, batch_id: uuid.UUID, *, lock: bool = False) -> ImportBatch | None:
    query = select(ImportBatch).where(ImportBatch.id == batch_id)
    return session.scalar(query.with_for_update() if lock else query)


def earlier_import(session: Session, batch: ImportBatch) -> ImportBatch | None:
    """The last import of the same file (same sha256) before this batch, if any."""
    return session.scalar(
        select(ImportBatch)
        .where(
            ImportBatch.sha256 == batch.sha256,
            ImportBatch.applied_at.is_not(None),
            ImportBatch.id != batch.id,
        )
        .order_by(ImportBatch.applied_at.desc())
        .limit(1)
    )


def mark_applied(batch: ImportBatch, now: dt.datetime, result: dict[str, object]) -> None:
    batch.applied_at = now
    batch.result = result
    batch.content = None  # the people are in the registry now; no copy is kept
