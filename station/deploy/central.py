"""`station deploy central --site ID`: one site's PostgreSQL account at central.

Run by the registry's owner (the central URL of the configuration, `[central] url` or
``STATION_CENTRAL_URL``, names a role that owns the tables). It applies
`sync.rights` (given by the command line: the core imports no part, so it is named
here by the `Rights` protocol it fits): the row-level security policies
(idempotent) and the site's role,
which reads the registry and reads and writes its own site's history only. It
returns the URL the site's sync connects with (its ``STATION_CENTRAL_URL``).

The role's password is made here, never typed. Where it is kept:

- with ``out``: in ``out/secrets/central-<site>.password`` (0600), read again by every
  later run, so the URL is printed whole each time;
- without: nowhere. It is shown once, in the URL returned when the role is made;
  later runs keep the role's password and return the URL without it.

``renew`` gives the role a new password (the site's URL must then change). A role
that exists while ``out`` holds no password for it is refused: its password is not
known here, and making a new one silently would cut the site off.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sqlalchemy import Engine

from station.deploy import files
from station.errors import ConfigError


class Rights(Protocol):
    """What `sync.rights` does at central (that module fits it)."""

    def site_role(self, site_id: str) -> str: ...

    def role_exists(self, engine: Engine, role: str) -> bool: ...

    def setup_row_security(self, engine: Engine) -> None: ...

    def create_site_account(
        self, engine: Engine, site_id: str, password: str | None, role: str | None = None
    ) -> str: ...


@dataclass(frozen=True)
class CentralDeployment:
    site: str
    role: str
    url: str  # the site's STATION_CENTRAL_URL; without the password when it was kept
    password_file: Path | None  # where the password is kept, if anywhere
    created: bool  # the role did not exist before this run
    new_password: bool  # the role's password changed in this run


def password_path(out: Path, site: str) -> Path:
    return out / "secrets" / f"central-{site}.password"


def deploy_central(
    rights: Rights,
    engine: Engine,
    site: str,
    *,
    out: Path | None = None,
    renew: bool = False,
    host: str | None = None,
) -> CentralDeployment:
    """Set up `site`'s role at the central `engine` (its owner's); `host`: the central's
    address as the site reaches it, if not the one `engine` uses."""
    if engine.url.get_backend_name() != "postgresql":
        raise ConfigError(
            [
                f"central.url: {engine.url.get_backend_name()}; expected a PostgreSQL URL "
                "(an account per site needs PostgreSQL roles and row-level security)"
            ]
        )
    role = _role(rights, site)
    existed = rights.role_exists(engine, role)
    kept_in = None if out is None else password_path(out.resolve(), site)
    password = _password(kept_in, role, existed=existed, renew=renew)
    rights.setup_row_security(engine)
    rights.create_site_account(engine, site, password, role)
    url = engine.url.set(username=role, password=password)
    if host is not None:
        url = url.set(host=host)
    return CentralDeployment(
        site=site,
        role=role,
        url=url.render_as_string(hide_password=False),
        password_file=kept_in,
        created=not existed,
        new_password=renew or not existed,
    )


def _role(rights: Rights, site: str) -> str:
    try:
        return rights.site_role(site)
    except ValueError:
        raise ConfigError(
            [f"--site {site}: expected a site id of lowercase letters, digits, '-' and '_'"]
        ) from None


def _password(path: Path | None, role: str, *, existed: bool, renew: bool) -> str | None:
    """The password to set, or None to keep the role's."""
    if path is None:
        return secrets.token_urlsafe(24) if renew or not existed else None
    if existed and not renew and not path.exists():
        raise ConfigError(
            [
                f"{path}: missing, but the role {role} exists at central: its password is "
                "not known here; expected the file of the deploy that made it, or --renew "
                "for a new password (the site's STATION_CENTRAL_URL must then change)"
            ]
        )
    files.secret_dir(path.parent)
    return files.password(path, renew=renew)
