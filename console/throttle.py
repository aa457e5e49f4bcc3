"""Login throttling, counted from the audit log so that every instance sees the same.

An account is refused unchecked after PER_ACCOUNT failed logins within WINDOW since
its last success; an address after PER_ADDRESS failures within WINDOW, whatever the
emails typed (someone trying one password on many accounts). The refusal is itself
logged, but not counted: waiting out the window is enough.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from station.db.staff import AuditAction, AuditEntry

WINDOW = dt.timedelta(minutes=15)
PER_ACCOUNT = 5
PER_ADDRESS = 20


def throttled(session: Session, email: str, address: str, now: dt.datetime) -> bool:
    since = now - WINDOW
    last_success = session.scalar(
        select(func.max(AuditEntry.at)).where(
            AuditEntry.account == email,
            AuditEntry.action == AuditAction.LOGIN,
            AuditEntry.at > since,
        )
    )
    account_since = max(since, last_success) if last_success is not None else since
    if _failures(session, AuditEntry.account == email, account_since) >= PER_ACCOUNT:
        return True
    return bool(address) and (
        _failures(session, AuditEntry.remote_address == address, since) >= PER_ADDRESS
    )


def _failures(session: Session, who: object, since: dt.datetime) -> int:
    query = select(func.count()).where(
        who,  # type: ignore[arg-type]
        AuditEntry.action == AuditAction.LOGIN_FAILED,
        AuditEntry.at > since,
    )
    return session.scalar(query) or 0
