"""Database rights at a PostgreSQL central: one role per site, confined to its own history.

A site's sync connects to central with its own role. That role reads the whole
registry, may add and change people and badges (what a kiosk creates), and
reads and writes history rows only where ``site_id`` is its own: row-level
security checks the row against ``site_accounts``, which maps the role (never a
setting the client could change) to its site. It cannot delete anything. So a
compromised site can neither read nor rewrite another site's history.

Run `setup_row_security` once as the owner of the tables (after
`station db upgrade --central`), then `create_site_account` per site; `station deploy
central --site ID` does both (station.deploy.central).
"""

from __future__ import annotations

import re

from sqlalchemy import Connection, Engine, text

HISTORY = ("visits", "access_events", "machine_sessions")
REGISTRY_WRITABLE = ("members", "memberships", "credentials", "member_trainings")
REGISTRY_READ_ONLY = ("trainings", "resources", "opening_hours", "opening_exceptions")
# What central refused of a site's upload: written by that site's upload, read back by
# its down (its staff mode's count), its own rows only; resolved by the console.
REFUSALS = "central_refusals"
# The console's requests to a site (sync.commands): read and updated by that site only.
SITE_REQUESTS = ("command_requests", "checkout_requests")
# What a site says of itself for the live page (sync.live_up): its own rows only.
SITE_LIVE = ("site_links", "site_agents")
_OWN_SITE = "(SELECT a.site_id FROM site_accounts a WHERE a.role_name = current_user)"
_ROLE = re.compile(r"^[a-z0-9_-]{1,63}$")


def setup_row_security(engine: Engine) -> None:
    """Create `site_accounts` and the policies; idempotent."""
    with engine.begin() as connection:
        _require_postgresql(connection)
        connection.execute(
            text(
                "CREATE TABLE IF NOT EXISTS site_accounts ("
                " role_name varchar(63) PRIMARY KEY, site_id varchar(64) NOT NULL)"
            )
        )
        # The counter row must exist before sites write: they may update it, not insert.
        connection.execute(
            text(
                "INSERT INTO revision_counter (id, value) VALUES (1, 0) ON CONFLICT (id) DO NOTHING"
            )
        )
        for table in HISTORY:
            _policies(
                connection,
                table,
                [
                    f"CREATE POLICY site_own ON {table} USING (site_id = {_OWN_SITE}) "
                    f"WITH CHECK (site_id = {_OWN_SITE})"
                ],
            )
        for table in (*SITE_REQUESTS, *SITE_LIVE):
            _policies(
                connection,
                table,
                [
                    f"CREATE POLICY site_own ON {table} USING (site_id = {_OWN_SITE}) "
                    f"WITH CHECK (site_id = {_OWN_SITE})"
                ],
            )
        _policies(
            connection,
            REFUSALS,
            [
                f"CREATE POLICY site_own ON {REFUSALS} USING (site_id = {_OWN_SITE}) "
                f"WITH CHECK (site_id = {_OWN_SITE})"
            ],
        )
        for table in REGISTRY_WRITABLE:
            _policies(
                connection,
                table,
                [
                    f"CREATE POLICY site_read ON {table} FOR SELECT USING (true)",
                    f"CREATE POLICY site_update ON {table} FOR UPDATE USING (true)",
                    # A site creates rows in its own name only.
                    f"CREATE POLICY site_insert ON {table} FOR INSERT "
                    f"WITH CHECK (origin_site = {_OWN_SITE})",
                ],
            )


def site_role(site_id: str) -> str:
    """The role name of `site_id`'s account; ValueError if it is no lowercase slug."""
    role = f"station_site_{site_id}"[:63]
    if not _ROLE.match(role):
        raise ValueError(f"role names are lowercase slugs, got {role!r}")
    return role


def role_exists(engine: Engine, role: str) -> bool:
    with engine.connect() as connection:
        _require_postgresql(connection)
        found = connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role})
        return found.first() is not None


def create_site_account(
    engine: Engine, site_id: str, password: str | None, role: str | None = None
) -> str:
    """Create (or update) the role of `site_id`; returns the role name.

    ``password=None`` keeps an existing role's password (ValueError if the role is
    new): rights and policies are applied again, the site's URL stays valid.
    """
    role = role or site_role(site_id)
    if not _ROLE.match(role):
        raise ValueError(f"role names are lowercase slugs, got {role!r}")
    with engine.begin() as connection:
        _require_postgresql(connection)
        quoted = connection.dialect.identifier_preparer.quote(role)
        exists = connection.execute(
            text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}
        ).first()
        if password is None and not exists:
            raise ValueError(f"role {role!r} does not exist: a new role needs a password")
        verb = "ALTER" if exists else "CREATE"
        if password is None:
            connection.execute(text(f"ALTER ROLE {quoted} LOGIN"))
        else:
            literal = "'" + password.replace("'", "''") + "'"
            connection.execute(text(f"{verb} ROLE {quoted} LOGIN PASSWORD {literal}"))
        connection.execute(text(f"GRANT USAGE ON SCHEMA public TO {quoted}"))
        readable = (*REGISTRY_WRITABLE, *REGISTRY_READ_ONLY, "site_accounts", "alembic_version")
        connection.execute(text(f"GRANT SELECT ON {', '.join(readable)} TO {quoted}"))
        connection.execute(
            text(f"GRANT INSERT, UPDATE ON {', '.join(REGISTRY_WRITABLE)} TO {quoted}")
        )
        connection.execute(
            text(f"GRANT SELECT, INSERT, UPDATE ON {', '.join((*HISTORY, *SITE_LIVE))} TO {quoted}")
        )
        connection.execute(text(f"GRANT SELECT, UPDATE ON {', '.join(SITE_REQUESTS)} TO {quoted}"))
        connection.execute(text(f"GRANT SELECT, INSERT ON {REFUSALS} TO {quoted}"))
        # Revisions come from the counter row (sync.central).
        connection.execute(text(f"GRANT SELECT, UPDATE ON revision_counter TO {quoted}"))
        connection.execute(
            text(
                "INSERT INTO site_accounts (role_name, site_id) VALUES (:r, :s) "
                "ON CONFLICT (role_name) DO UPDATE SET site_id = excluded.site_id"
            ),
            {"r": role, "s": site_id},
        )
    return role


def _policies(connection: Connection, table: str, policies: list[str]) -> None:
    connection.execute(text(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY"))
    for name in ("site_own", "site_read", "site_update", "site_insert"):
        connection.execute(text(f"DROP POLICY IF EXISTS {name} ON {table}"))
    for statement in policies:
        connection.execute(text(statement))


def _require_postgresql(connection: Connection) -> None:
    if connection.dialect.name != "postgresql":
        raise ValueError("database rights per site need a PostgreSQL central")
