"""What an account sees of a site (the live page and its stream agree on it)."""

from __future__ import annotations

from dataclasses import dataclass

from station.db.staff import SITE_ROLES, Role, StaffAccount


@dataclass(frozen=True)
class Scope:
    """A fabmanager sees a site's machines only; a manager or reception only their site."""

    people: bool
    doors: bool
    checkout: bool

    @classmethod
    def of(cls, account: StaffAccount, site_id: str) -> Scope | None:
        """None if the account may not see the site (a manager's or reception's other site)."""
        if account.role in SITE_ROLES and account.site_id != site_id:
            return None
        everything = account.role is not Role.FABMANAGER
        return cls(people=everything, doors=everything, checkout=everything)
