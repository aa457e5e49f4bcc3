"""Database rights at a PostgreSQL central: one role per site, confined to its own history.

A site's sync connects to central with its own role. That role reads the whole
registry, may add and change people and badges (what a kiosk creates), and
reads and writes history rows only where ``site_id`` is its own: row-level
security checks the row against ``site_accounts``, which maps the role (never a
setting the client could change) to its site. It deletes no history. So a
compromised site can neither read nor rewrite another site's history.

Its upload keeps central's figures of that site in the same transaction (the daily
tallies, the first visits, the frozen periods' people, the days to roll up:
`sync.up.Tallies`), so the role writes those too, its own rows only and no more than
the upload does. What a stolen account can do there is what it could already do by
forging its own history: make its own site's figures wrong. It cannot touch another
site's, nor the days the purge froze (their cells are the only figures left of
visits that are gone: policy `day >= ` the site's own `tallies.frozen_before.` cursor),
nor delete a first visit or a frozen period's people. `sync_cursors` has no
``site_id``: the role only reads it, and sees the tally cursors named after its own
site and central's (the purge writes them, as owner). The advisory lock the upload
takes (`station.aggregates.lock_tallies`) needs no grant (PostgreSQL gives the lock
functions to every login): a stolen account holding it exclusively stalls every
site's upload and the purge until its session ends, a denial of service (as using
up the connections would) but no change to any figure.
Central's own work on the figures (roll-ups, folded rows, period members, when a
visitor was last seen) is the purge's, as owner: the role has no right there.

Run `setup_row_security` once as the owner of the tables (after
`station db upgrade --central`), then `create_site_account` per site; `station deploy
central --site ID` does both (station.deploy.central).
"""

from __future__ import annotations

import re

from sqlalchemy import Connection, Engine, text

from station.aggregates import FROZEN_CURSOR, PEOPLE_CURSOR

HISTORY = ("visits", "access_events", "machine_sessions", "skill_records", "companies")
REGISTRY_WRITABLE = ("members", "memberships", "credentials", "member_trainings")
REGISTRY_READ_ONLY = ("trainings", "resources", "opening_hours", "opening_exceptions")
# What central refused of a site's upload: written by that site's upload, read back by
# its down (its staff mode's count), its own rows only; resolved by the console.
REFUSALS = "central_refusals"
# The console's requests to a site (sync.commands): read and updated by that site only.
SITE_REQUESTS = ("command_requests", "checkout_requests")
# What a site says of itself for the live page (sync.live_up): its own rows only.
SITE_LIVE = ("site_links", "site_agents")
# A day's cells, recomputed by the upload: deleted and inserted again, never updated
# (station.aggregates), and only while the purge has not frozen the day.
TALLIES = ("entry_tallies", "usage_tallies")
# Figures the upload adds to and a site never deletes: a first visit moved earlier
# (station.first_visits), a frozen period's people counted late (station.people_late);
# only these columns change.
KEPT_FIGURES = {"first_visits": ("day",), "period_people": ("people", "first_time")}
# The days whose cells changed, for central's roll-up (station.rollups.mark_stale).
STALE_DAYS = "stale_rollups"
# The purge's cursors the upload reads (station.aggregates), named after their site.
CURSORS = "sync_cursors"
_OWN_SITE = "(SELECT a.site_id FROM site_accounts a WHERE a.role_name = current_user)"
_OWN = f"site_id = {_OWN_SITE}"
# The first day the purge left complete (`station.aggregates.frozen_before`, an ordinal).
_FROZEN_FROM = (
    "COALESCE((SELECT DATE '0001-01-01' + (NULLIF(c.value, 0) - 1)::integer "
    f"FROM {CURSORS} c WHERE c.name = '{FROZEN_CURSOR}' || {_OWN_SITE}), DATE '0001-01-01')"
)
_OWN_CURSORS = (
    f"name IN ('{FROZEN_CURSOR}' || {_OWN_SITE}, '{PEOPLE_CURSOR}' || {_OWN_SITE}, "
    f"'{PEOPLE_CURSOR}*')"
)
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
        for table in (*SITE_REQUESTS, *SITE_LIVE, *KEPT_FIGURES, STALE_DAYS):
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
        for table in TALLIES:
            _policies(
                connection,
                table,
                [
                    f"CREATE POLICY site_own ON {table} USING ({_OWN} AND day >= {_FROZEN_FROM}) "
                    f"WITH CHECK ({_OWN} AND day >= {_FROZEN_FROM})"
                ],
            )
        _policies(
            connection,
            CURSORS,
            [f"CREATE POLICY site_read ON {CURSORS} FOR SELECT USING ({_OWN_CURSORS})"],
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
        _grant_figures(connection, quoted)
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


def _grant_figures(connection: Connection, quoted: str) -> None:
    """What the upload's tallies need (`sync.up.Tallies`), and no more."""
    connection.execute(text(f"GRANT SELECT, INSERT, DELETE ON {', '.join(TALLIES)} TO {quoted}"))
    for table, columns in KEPT_FIGURES.items():
        connection.execute(
            text(f"GRANT SELECT, INSERT, UPDATE ({', '.join(columns)}) ON {table} TO {quoted}")
        )
    connection.execute(text(f"GRANT INSERT ON {STALE_DAYS} TO {quoted}"))
    connection.execute(text(f"GRANT SELECT ON {CURSORS} TO {quoted}"))


def _policies(connection: Connection, table: str, policies: list[str]) -> None:
    connection.execute(text(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY"))
    for name in ("site_own", "site_read", "site_update", "site_insert"):
        connection.execute(text(f"DROP POLICY IF EXISTS {name} ON {table}"))
    for statement in policies:
        connection.execute(text(statement))


def _require_postgresql(connection: Connection) -> None:
    if connection.dialect.name != "postgresql":
        raise ValueError("database rights per site need a PostgreSQL central")
