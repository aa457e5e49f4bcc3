"""Staff accounts: created and disabled from the command line, checked at login.

Passwords are kept as argon2id hashes (argon2-cffi's RFC 9106 low-memory profile, as
station.staff_pin). A login for an unknown or disabled email verifies the password
against a dummy hash all the same, so that the answer takes as long as for a real
account and does not tell which emails have one.
"""

from __future__ import annotations

import datetime as dt

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from station.db.staff import SITE_ROLES, Role, StaffAccount
from station.errors import Conflict, InvalidInput, NotFound
from station.registry import is_email

MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # argon2 hashes any length; a megabyte "password" is a denial of service
_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("not the password of any account")


class WeakPassword(InvalidInput):
    """A password shorter than MIN_PASSWORD characters (or absurdly long)."""


def normal_email(email: str) -> str:
    """The email as accounts are keyed: trimmed, lowercased."""
    return email.strip().lower()


def validate_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise WeakPassword(f"a console password is at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise WeakPassword(f"a console password is at most {MAX_PASSWORD} characters")
    return password


def add_account(
    session: Session,
    email: str,
    password: str,
    role: Role,
    now: dt.datetime,
    site_id: str | None = None,
) -> StaffAccount:
    """A new account; Conflict if the email has one, InvalidInput if the site does not
    fit the role (a manager or reception account needs one, the others have none)."""
    email = normal_email(email)
    if not is_email(email):
        raise InvalidInput(f"{email!r} is not an email address")
    if role in SITE_ROLES and not site_id:
        raise InvalidInput(f"a {role.value} account belongs to one site: give --site")
    if role not in SITE_ROLES and site_id:
        raise InvalidInput(f"a {role.value} account is for every site: no --site")
    if account_by_email(session, email) is not None:
        raise Conflict(f"{email} already has a console account")
    account = StaffAccount(
        email=email,
        password_hash=_HASHER.hash(validate_password(password)),
        role=role,
        site_id=site_id,
        session_version=1,
        created_at=now,
    )
    session.add(account)
    session.flush()
    return account


def account_by_email(session: Session, email: str) -> StaffAccount | None:
    query = select(StaffAccount).where(StaffAccount.email == normal_email(email))
    return session.scalars(query).first()


def accounts(session: Session) -> list[StaffAccount]:
    return list(session.scalars(select(StaffAccount).order_by(StaffAccount.email)))


def count_active(session: Session) -> int:
    query = select(func.count()).select_from(StaffAccount)
    return session.scalar(query.where(StaffAccount.disabled_at.is_(None))) or 0


def disable_account(session: Session, email: str, now: dt.datetime) -> StaffAccount:
    """Disable an account and end its sessions everywhere (the session version moves)."""
    account = account_by_email(session, email)
    if account is None:
        raise NotFound(f"no console account for {normal_email(email)}")
    if account.disabled_at is None:
        account.disabled_at = now
    end_sessions(session, account)
    return account


def end_sessions(session: Session, account: StaffAccount) -> None:
    """Every cookie naming the account's present session version stops opening it."""
    account.session_version += 1
    session.flush()


def authenticate(session: Session, email: str, password: str) -> StaffAccount | None:
    """The live account whose password this is, else None, in the same time either way."""
    account = account_by_email(session, email)
    usable = account is not None and account.disabled_at is None
    stored = account.password_hash if usable and account is not None else _DUMMY_HASH
    try:
        _HASHER.verify(stored, password[:MAX_PASSWORD])
    except (VerificationError, InvalidHashError):
        return None
    if not usable or account is None:
        return None
    if _HASHER.check_needs_rehash(account.password_hash):  # parameters raised since
        account.password_hash = _HASHER.hash(password)
        session.flush()
    return account
