"""Writing deploy output with its file mode, atomically, without touching what is
already right."""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

PUBLIC = 0o644
SECRET = 0o600
SECRET_DIR = 0o700


def write(path: Path, content: bytes, mode: int) -> bool:
    """Write `content` to `path` with `mode`; True if the file changed.

    The content goes to a temporary file created with the final mode, then replaces the
    old one: a secret is never readable by others, not even for an instant, and a
    broker never reads half a file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.read_bytes() == content:
        os.chmod(path, mode)
        return False
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as out:
            out.write(content)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return True


def secret_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, SECRET_DIR)
    return path


def password(path: Path, *, renew: bool = False) -> str:
    """The password kept in `path`, made (and kept 0600) if absent or `renew`."""
    if path.exists() and not renew:
        os.chmod(path, SECRET)
        kept = path.read_text(encoding="ascii").strip()
        if kept:
            return kept
    # URL-safe: no ':' (the password file's separator), no quote to escape in an env file.
    made = secrets.token_urlsafe(24)
    write(path, (made + "\n").encode("ascii"), SECRET)
    return made
