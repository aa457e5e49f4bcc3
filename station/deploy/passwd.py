"""mosquitto's password file, in mosquitto 2's own format.

A line is ``user:$7$<iterations>$<base64 salt>$<base64 hash>``: PBKDF2-HMAC-SHA512 of
the password, a 12-byte salt and 101 iterations, as `mosquitto_passwd` writes them
(mosquitto's ``apps/mosquitto_passwd``, ``pw_sha512_pbkdf2``). Writing it here needs no
mosquitto tool on the machine that deploys.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

ITERATIONS = 101  # mosquitto_passwd's default
SALT_BYTES = 12
PREFIX = "$7$"


def hash_password(password: str, *, salt: bytes | None = None, iterations: int = ITERATIONS) -> str:
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)
    encode = base64.b64encode
    return f"{PREFIX}{iterations}${encode(salt).decode()}${encode(digest).decode()}"


def verify(password: str, hashed: str) -> bool:
    """True if `hashed` (one `$7$` entry) is `password`'s hash; False for any other form."""
    parts = hashed.split("$")
    if len(parts) != 5 or parts[:2] != ["", "7"] or not parts[2].isdigit():
        return False
    try:
        salt = base64.b64decode(parts[3], validate=True)
    except ValueError:
        return False
    return hmac.compare_digest(hash_password(password, salt=salt, iterations=int(parts[2])), hashed)


def parse(text: str) -> dict[str, str]:
    """user -> hash entry, from a password file's text."""
    entries: dict[str, str] = {}
    for line in text.splitlines():
        user, sep, hashed = line.strip().partition(":")
        if sep and user and not line.startswith("#"):
            entries[user] = hashed
    return entries


def render(passwords: dict[str, str], existing: str = "") -> str:
    """The password file for `passwords` (user -> clear password).

    An existing entry that still matches its password is kept as it is (same salt), so
    that deploying twice writes the same file.
    """
    kept = parse(existing)
    lines = []
    for user in sorted(passwords):
        previous = kept.get(user)
        if previous is not None and verify(passwords[user], previous):
            lines.append(f"{user}:{previous}")
        else:
            lines.append(f"{user}:{hash_password(passwords[user])}")
    return "\n".join(lines) + "\n"
