"""The audit log: every login, logout and account change, with who, when and from where."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from station.db.staff import AuditAction, AuditEntry

# The command line's entries: no remote address, the operator's shell.
COMMAND_LINE = "command line"


def record(
    session: Session,
    at: dt.datetime,
    account: str,
    action: AuditAction,
    *,
    target: str = "",
    address: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        at=at,
        account=account[:254],
        action=action,
        target=target[:254],
        detail=detail or {},
        remote_address=address[:64],
    )
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    total: int


def entries(
    session: Session,
    *,
    account: str = "",
    action: AuditAction | None = None,
    offset: int = 0,
    limit: int = 50,
) -> AuditPage:
    """The newest entries first, of one account and/or one action if given."""
    query = select(AuditEntry)
    if account:
        query = query.where(AuditEntry.account == account.strip().lower())
    if action is not None:
        query = query.where(AuditEntry.action == action)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).offset(offset).limit(limit)
    )
    return AuditPage(list(rows), total)
