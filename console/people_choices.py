"""The lists a person's forms offer: communes, plans, skills, offers, trainings, sites.

Plans, skills and offers (the purposes of a visit) come from the station's
configuration (`Console.config`); without one, no plan is declared (memberships of
the default plan, a year long) and no skill or offer can be recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from console.guard import Page
from station import plans, registry
from station.communes import OTHER_COMMUNE, load_communes
from station.db.staff import SITE_ROLES, StaffAccount


@dataclass(frozen=True)
class Choice:
    code: str
    label: str


def communes(here: Page) -> list[Choice]:
    territory = [Choice(c.insee, f"{c.name} ({c.insee})") for c in load_communes()]
    return [*territory, Choice(OTHER_COMMUNE, here.t("Hors du territoire"))]


def plan_choices(here: Page) -> list[Choice]:
    config = here.console.config
    if config is None or not config.plans:
        code = plans.membership_plan(config, None)
        return [Choice(code, code)]
    english = here.language.value == "en"
    return [Choice(code, plan.en if english else plan.fr) for code, plan in config.plans.items()]


def default_plan(here: Page) -> str:
    return plans.membership_plan(here.console.config, None)


def plan_days(here: Page, code: str) -> int:
    return plans.plan_days(here.console.config, code)


def skills(here: Page) -> list[Choice]:
    config = here.console.config
    if config is None:
        return []
    english = here.language.value == "en"
    return [Choice(code, s.en if english else s.fr) for code, s in config.skills.items()]


def offers(here: Page) -> list[Choice]:
    config = here.console.config
    if config is None:
        return []
    english = here.language.value == "en"
    return [Choice(p.id, p.en if english else p.fr) for p in config.purposes]


def trainings(here: Page) -> list[Choice]:
    english = here.language.value == "en"
    return [
        Choice(t.code, (t.name_en if english and t.name_en else t.name_fr) or t.code)
        for t in registry.trainings(here.db)
    ]


def sites(here: Page) -> list[str]:
    """The sites a skill or company may be recorded for: a site account's own; for the
    others, every site with a console account, and the configuration's own site."""
    account = here.account
    assert account is not None
    if account.role in SITE_ROLES and account.site_id:
        return [account.site_id]
    known = set(
        here.db.scalars(
            select(StaffAccount.site_id).where(StaffAccount.site_id.is_not(None)).distinct()
        )
    )
    if here.console.config is not None:
        known.add(here.console.config.site.id)
    return sorted(s for s in known if s)
