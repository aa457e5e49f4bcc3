"""The session cookie and the CSRF token bound to it.

The cookie is signed (itsdangerous, with a secret kept in the database) and holds no
state of its own: a random nonce, the account id and its session version (so that
disabling the account, or logging out, ends it on every instance), and when it was
issued (sessions last MAX_AGE). The CSRF token of every form is an HMAC of the
nonce, the account and the version: a page of another site can neither read it
(it is not in a cookie) nor forge it (it needs the secret), and it changes at login.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass, replace

from itsdangerous import BadSignature, URLSafeSerializer

COOKIE = "station_console"
MAX_AGE = dt.timedelta(hours=12)


@dataclass(frozen=True)
class SessionCookie:
    nonce: str
    account_id: uuid.UUID | None = None
    version: int = 0
    issued: int = 0  # seconds since the epoch, from the console's clock

    @classmethod
    def anonymous(cls, now: dt.datetime) -> SessionCookie:
        return cls(nonce=secrets.token_urlsafe(16), issued=int(now.timestamp()))

    def logged_in(self, account_id: uuid.UUID, version: int, now: dt.datetime) -> SessionCookie:
        """A new nonce at login: a token seen before it is worth nothing after."""
        fresh = SessionCookie.anonymous(now)
        return replace(fresh, account_id=account_id, version=version)

    def expired(self, now: dt.datetime) -> bool:
        return now.timestamp() - self.issued > MAX_AGE.total_seconds()


class CookieCodec:
    def __init__(self, secret: str) -> None:
        self._secret = secret.encode()
        self._serializer = URLSafeSerializer(secret, salt="station-console-session")

    def dumps(self, cookie: SessionCookie) -> str:
        account = str(cookie.account_id) if cookie.account_id else ""
        return str(self._serializer.dumps([cookie.nonce, account, cookie.version, cookie.issued]))

    def loads(self, text: str | None) -> SessionCookie | None:
        """The cookie, or None if absent, forged or malformed."""
        if not text:
            return None
        try:
            nonce, account, version, issued = self._serializer.loads(text)
            return SessionCookie(
                nonce=str(nonce),
                account_id=uuid.UUID(account) if account else None,
                version=int(version),
                issued=int(issued),
            )
        except (BadSignature, ValueError, TypeError):
            return None

    def csrf_token(self, cookie: SessionCookie) -> str:
        message = f"csrf:{cookie.nonce}:{cookie.account_id or ''}:{cookie.version}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def csrf_valid(self, cookie: SessionCookie, token: str) -> bool:
        return hmac.compare_digest(self.csrf_token(cookie), token)
