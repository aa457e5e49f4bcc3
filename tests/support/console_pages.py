"""Every page of the console, for the screenshots (docs/console/) and the checks that
walk them all: its path, the role that opens it, and a short name for its file."""

from __future__ import annotations

from dataclasses import dataclass

from station.db.staff import Role
from tests.support.import_sheets import DONE_BATCH, PREVIEW_BATCH


@dataclass(frozen=True)
class ConsolePage:
    name: str  # docs/console/<name>-<lang>.png
    path: str  # may hold {member} (a seeded person's id) or {site} (the seeded site)
    role: Role | None  # None: opened logged out


PAGES: list[ConsolePage] = [
    ConsolePage("login", "/login", None),
    ConsolePage("dashboard", "/", Role.ADMIN),
    ConsolePage("members", "/members?q=mar", Role.RECEPTION),
    ConsolePage("member", "/members/{member}", Role.RECEPTION),
    ConsolePage("member-new", "/members/new", Role.RECEPTION),
    ConsolePage("member-edit", "/members/{member}/edit", Role.RECEPTION),
    ConsolePage("member-renew", "/members/{member}/renew", Role.RECEPTION),
    ConsolePage("member-badges", "/members/{member}/badges", Role.RECEPTION),
    ConsolePage("member-trainings", "/members/{member}/trainings", Role.FABMANAGER),
    ConsolePage("member-outcomes", "/members/{member}/outcomes", Role.RECEPTION),
    ConsolePage("member-pin", "/members/{member}/pin", Role.ADMIN),
    ConsolePage("member-forget", "/members/{member}/forget", Role.ADMIN),
    ConsolePage("audit", "/audit", Role.ADMIN),
    ConsolePage("refusals", "/refusals", Role.ADMIN),
    ConsolePage("import", "/import", Role.RECEPTION),
    ConsolePage("import-preview", f"/import/{PREVIEW_BATCH}", Role.RECEPTION),
    ConsolePage("import-done", f"/import/{DONE_BATCH}", Role.RECEPTION),
    ConsolePage("reports", "/reports?from=2026-02-01&to=2026-03-10&by=purpose", Role.ADMIN),
    ConsolePage("reports-site", "/reports?from=2026-02-01&to=2026-03-10&by=month", Role.MANAGER),
    ConsolePage("sites", "/sites", Role.ADMIN),
    ConsolePage("site", "/sites/{site}", Role.RECEPTION),
    ConsolePage("site-machines", "/sites/{site}", Role.FABMANAGER),
    ConsolePage("site-commands", "/sites/{site}/commands", Role.MANAGER),
]
