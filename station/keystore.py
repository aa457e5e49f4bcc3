"""The site server's keys: the site's Ed25519 signing keys and the trust list that
every grant snapshot announces (`station.protocol.trust`).

Files in the keys directory (``[keys] dir``, 0700)::

    trust.json          0600  the trust list: site keys and issuer keys, with windows
    site-<key id>.key   0600  a site signing key (sync signs snapshots, beacons and the
                              console's commands with it)
    site.pub            0644  the site's public keys: the agents' trust anchor
    kiosk-<id>.key      0600  a kiosk's issuer key, copied into that kiosk's bundle only

The site server holds every private key of its site: whoever takes it can do what
the site can (docs/security.md). A device holds only its own file.

Rotation without a flag day: a new key is trusted from now, the old one until the end
of the overlap. The site signs with the old site key while it is still valid (the
agents learn the new one from snapshots it signs) and with the new one after; a kiosk
signs with its new key at once (the snapshot announcing it is published within a
sync round), its old one accepted until the overlap ends.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from station.errors import StationError
from station.protocol.errors import ProtocolError
from station.protocol.keys import SITE_HOLDER, KeyFileError, Keyring, SigningKey, TrustedKey
from station.protocol.trust import SiteTrust, anchor_text

DEFAULT_OVERLAP = dt.timedelta(days=14)
TRUST_FILE = "trust.json"
SITE_PUBLIC = "site.pub"
REVOKED_FILE = "revoked"  # holders revoked: `init` does not trust them again
_EARLIEST = dt.datetime.min.replace(tzinfo=dt.UTC)
_LATEST = dt.datetime.max.replace(tzinfo=dt.UTC)


class KeyStoreError(StationError, RuntimeError):
    """The keys directory is missing, incomplete or unreadable (the message says which
    file and what to run)."""


def kiosk_holder(kiosk_id: str) -> str:
    return f"kiosk:{kiosk_id}"


def kiosk_key_file(directory: Path, kiosk_id: str) -> Path:
    """Where a kiosk finds its issuer key (the same name on the site server and the kiosk)."""
    return directory / f"kiosk-{kiosk_id}.key"


class KeyStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._read: tuple[tuple[int, int, int], SiteTrust] | None = None
        self._signers: dict[str, SigningKey] = {}  # by key id: a key file never changes

    @property
    def trust_file(self) -> Path:
        return self.directory / TRUST_FILE

    @property
    def site_public(self) -> Path:
        return self.directory / SITE_PUBLIC

    def site_key_file(self, key_id: str) -> Path:
        return self.directory / f"site-{key_id}.key"

    # -- reading ------------------------------------------------------------------------

    def trust(self) -> SiteTrust:
        """The whole trust list, expired entries included; read again only when the file
        changed (sync asks for it at every check of the grants, each second)."""
        try:
            stat = self.trust_file.stat()
            seen = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
            if self._read is not None and self._read[0] == seen:
                return self._read[1]
            data = json.loads(self.trust_file.read_text(encoding="utf-8"))
            trust = SiteTrust.from_json(data)
            self._read = (seen, trust)
            return trust
        except FileNotFoundError:
            raise KeyStoreError(
                f"{self.trust_file}: no trust list; run `station keys init` on the site server"
            ) from None
        except (OSError, ValueError, RecursionError, ProtocolError) as exc:
            raise KeyStoreError(f"{self.trust_file}: unreadable ({exc})") from None

    def trust_at(self, now: dt.datetime) -> SiteTrust:
        """What a snapshot issued `now` announces: every site key, the ended ones with
        their end (so that an agent's old site.pub, never updated, cannot bring one
        back: `door_agent.trust`), and the issuer keys not yet ended."""
        whole = self.trust()
        return SiteTrust(whole.site, _current(whole.issuers, now))

    def signer(self, now: dt.datetime) -> SigningKey:
        """The site key to sign with `now`: of those valid now, the one that expires first
        (the old key through a rotation's overlap, so agents learn the new one first)."""
        valid = sorted(
            (t for t in self.trust().site if t.valid_at(now)),
            key=lambda t: (t.not_after or _LATEST, t.not_before or _EARLIEST),
        )
        for trusted in valid:
            if trusted.key_id in self._signers:
                return self._signers[trusted.key_id]
            path = self.site_key_file(trusted.key_id)
            if path.exists():
                try:
                    key = self._signers[trusted.key_id] = SigningKey.load(path)
                except KeyFileError as exc:
                    raise KeyStoreError(str(exc)) from None
                return key
        raise KeyStoreError(
            f"{self.directory}: no site signing key valid at {now.isoformat()}; run "
            "`station keys rotate --site` on the site server"
        )

    def marker(self, now: dt.datetime) -> tuple[object, ...]:
        """Changes when what a snapshot issued `now` would carry changes (cheap: a stat;
        the list and the signing key are read again only when the file changed)."""
        if not self.trust_file.exists():
            return ("missing",)
        trust = self.trust_at(now)
        return (trust.to_json(), self.signer(now).key_id)

    # -- writing ------------------------------------------------------------------------

    def init(self, kiosks: Iterable[str], now: dt.datetime | None = None) -> list[str]:
        """Create what is missing (the site key, each kiosk's key) and keep what exists;
        the names of the files created. A revoked kiosk is not given a key again (only
        `rotate_kiosk` re-issues one); keys without their trust list are refused, never
        replaced (a new site key would be one no agent trusts)."""
        with self._locked():
            trust = self._trust_or_new()
            site, issuers = Keyring(list(trust.site)), Keyring(list(trust.issuers))
            created: list[str] = []
            if not len(site):
                key = SigningKey.generate()
                key.save(self.site_key_file(key.key_id))
                site.add(TrustedKey(key.verify_key))
                created.append(self.site_key_file(key.key_id).name)
            for trusted in site:
                issuers.add(TrustedKey(trusted.key, trusted.not_before, trusted.not_after))
            revoked = self.revoked()
            for kiosk_id in kiosks:
                path = kiosk_key_file(self.directory, kiosk_id)
                holder = kiosk_holder(kiosk_id)
                if holder in revoked or (
                    path.exists() and any(t.holder == holder for t in issuers)
                ):
                    continue
                key = SigningKey.generate()
                issuers.add(TrustedKey(key.verify_key, holder=holder))
                self._save(SiteTrust(site, issuers), now)  # trusted before it can sign
                key.save(path)
                created.append(path.name)
            self._save(SiteTrust(site, issuers), now)
            return created

    def rotate_site(self, now: dt.datetime, overlap: dt.timedelta = DEFAULT_OVERLAP) -> SigningKey:
        """A new site key, trusted at once; the current ones until now + overlap."""
        _check_overlap(overlap)
        with self._locked():
            trust = self.trust()
            key = SigningKey.generate()
            key.save(self.site_key_file(key.key_id))  # unused until the list names it
            # No not_before: an agent whose clock is a little behind the server's must
            # not refuse the new key (only the old key's end matters).
            site = _ending(trust.site, now + overlap, lambda t: True)
            site.add(TrustedKey(key.verify_key))
            issuers = _ending(trust.issuers, now + overlap, lambda t: t.holder == SITE_HOLDER)
            issuers.add(TrustedKey(key.verify_key))
            self._save(SiteTrust(site, issuers), now)
            return key

    def rotate_kiosk(
        self, kiosk_id: str, now: dt.datetime, overlap: dt.timedelta = DEFAULT_OVERLAP
    ) -> SigningKey:
        """A new issuer key for the kiosk, trusted at once; its old ones until now +
        overlap. Re-issues a key to a revoked kiosk, which is then trusted again."""
        _check_overlap(overlap)
        with self._locked():
            trust = self.trust()
            holder = kiosk_holder(kiosk_id)
            key = SigningKey.generate()
            issuers = _ending(trust.issuers, now + overlap, lambda t: t.holder == holder)
            issuers.add(TrustedKey(key.verify_key, holder=holder))
            # The list first: a crash between the two leaves the old key in use and
            # still trusted, never a key in use that no agent trusts.
            self._save(SiteTrust(trust.site, issuers), now)
            key.save(kiosk_key_file(self.directory, kiosk_id))
            self._set_revoked(self.revoked() - {holder})
            return key

    def revoke_kiosk(self, kiosk_id: str) -> int:
        """Trust the kiosk's keys no more (a lost or stolen kiosk); how many were removed.
        `init` gives it no new key while it is revoked."""
        with self._locked():
            trust = self.trust()
            holder = kiosk_holder(kiosk_id)
            kept = [t for t in trust.issuers if t.holder != holder]
            self._save(SiteTrust(trust.site, Keyring(kept)), None)
            kiosk_key_file(self.directory, kiosk_id).unlink(missing_ok=True)
            self._set_revoked(self.revoked() | {holder})
            return len(trust.issuers) - len(kept)

    def revoked(self) -> set[str]:
        path = self.directory / REVOKED_FILE
        if not path.exists():
            return set()
        return {line.strip() for line in path.read_text("utf-8").splitlines() if line.strip()}

    def _set_revoked(self, holders: set[str]) -> None:
        text = "".join(f"{holder}\n" for holder in sorted(holders))
        _write(self.directory / REVOKED_FILE, text.encode(), 0o600)

    def _trust_or_new(self) -> SiteTrust:
        if self.trust_file.exists():
            return self.trust()
        orphans = sorted(p.name for p in self.directory.glob("*.key"))
        if orphans:
            raise KeyStoreError(
                f"{self.trust_file}: missing, yet {', '.join(orphans)} exist: restore the trust "
                "list from a backup (making new keys would give the agents keys they do not "
                "trust)"
            )
        return SiteTrust()

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """One writer at a time: `station deploy` and `station keys` may run together."""
        self._directory()
        with open(self.directory / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _directory(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)

    def _save(self, trust: SiteTrust, now: dt.datetime | None) -> None:
        """The trust list, then the agents' anchor: the site keys not expired `now`
        (without a moment, those without an end), never a retired one."""
        self._directory()
        text = json.dumps(trust.to_json(), indent=2, sort_keys=True) + "\n"
        _write(self.trust_file, text.encode(), 0o600)
        anchor = Keyring(
            [
                t
                for t in trust.site
                if t.not_after is None or (now is not None and now < t.not_after)
            ]
        )
        _write(self.site_public, anchor_text(anchor).encode("ascii"), 0o644)


def _announced(trusted: TrustedKey, now: dt.datetime | None) -> bool:
    return trusted.not_after is None or (now is not None and now < trusted.not_after)


def _check_overlap(overlap: dt.timedelta) -> None:
    if overlap < dt.timedelta(0):
        raise ValueError(f"an overlap is 0 or more, not {overlap}")


def _current(keyring: Keyring, now: dt.datetime) -> Keyring:
    return Keyring([t for t in keyring if t.not_after is None or now < t.not_after])


def _ending(keyring: Keyring, end: dt.datetime, which: Callable[[TrustedKey], bool]) -> Keyring:
    """`keyring` with the keys `which` selects valid until `end` at the latest (a key
    not valid before `end` is dropped: it would never be)."""
    result = Keyring()
    for trusted in keyring:
        if which(trusted) and (trusted.not_after is None or trusted.not_after > end):
            if trusted.not_before is not None and trusted.not_before >= end:
                continue
            trusted = TrustedKey(trusted.key, trusted.not_before, end, trusted.holder)
        result.add(trusted)
    return result


def _write(path: Path, content: bytes, mode: int) -> None:
    """Through a temporary file made with the final mode: never half written, never
    readable by others for an instant."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
