"""/members/<id>/outcomes: record a digital skill a person gained, or a company they
created (its SIREN checked for its format and its Luhn key), for a site's figures
(station.outcomes; `station report skills|companies` counts them)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select
from starlette.responses import RedirectResponse, Response

from console import people_choices as choices
from console.guard import Page, page
from console.people_forms import (
    Errors,
    date_of,
    member_of,
    message,
    record,
    refused_page,
    today,
)
from console.people_rules import ROLES, Write
from station import outcomes
from station.db import Company, Member, SkillRecord
from station.db.staff import AuditAction
from station.errors import Conflict
from station.fields import Field, FieldRefused, clean_text


@page(*ROLES[Write.OUTCOMES])
def member_outcomes(here: Page) -> Response:
    member = member_of(here)
    blocked = refused_page(here, Write.OUTCOMES, member)
    if blocked is not None:
        return blocked
    assert member is not None
    return _page(here, member, {}, {})


@page(*ROLES[Write.OUTCOMES])
def skill_record(here: Page) -> Response:
    member = member_of(here)
    blocked = refused_page(here, Write.OUTCOMES, member)
    if blocked is not None:
        return blocked
    assert member is not None
    form, errors = here.form, _site_errors(here, "site")
    skill = form.get("skill", "")
    on = date_of(form.get("on", "")) or today(here)
    if form.get("on", "").strip() and date_of(form["on"]) is None:
        errors["on"] = here.t("Une date, comme 2026-12-31.")
    elif on > today(here):
        errors["on"] = here.t("Ce jour est à venir.")
    by = _who(here, form.get("by", ""), errors)
    catalogue = [c.code for c in choices.skills(here)]
    if not errors:
        try:
            outcomes.record_skill(
                here.db, member, skill, catalogue=catalogue, site_id=form["site"], on=on, by=by
            )
        except outcomes.UnknownSkill:
            errors["skill"] = here.t("Choisissez une compétence du catalogue.")
        except Conflict:
            errors["skill"] = here.t("Cette compétence est déjà enregistrée pour cette personne.")
    if errors:
        return _page(here, member, form, errors, 422)
    record(here, AuditAction.SKILL_RECORDED, member, {"skill": skill, "on": on.isoformat()})
    return RedirectResponse(f"/members/{member.id}/outcomes?done=skill", 303)


@page(*ROLES[Write.OUTCOMES])
def company_record(here: Page) -> Response:
    member = member_of(here)
    blocked = refused_page(here, Write.OUTCOMES, member)
    if blocked is not None:
        return blocked
    assert member is not None
    form, errors = here.form, _site_errors(here, "company_site")
    try:
        outcomes.check_siren(form.get("siren", ""))
    except outcomes.InvalidSiren:
        errors["siren"] = here.t(
            "Un SIREN fait 9 chiffres, le dernier étant la clé de contrôle : "
            "vérifiez-le sur le Kbis ou l'avis de situation INSEE."
        )
    try:
        clean_text(Field.COMPANY_NAME, form.get("company", ""), required=True)
    except FieldRefused as exc:
        errors["company"] = message(here, exc)
    created = date_of(form.get("created_on", ""))
    if created is None:
        errors["created_on"] = here.t("Une date, comme 2026-12-31.")
    elif created > today(here):
        errors["created_on"] = here.t("Ce jour est à venir : donnez la date du Kbis.")
    offers = [c.code for c in choices.offers(here)]
    if form.get("offer", "") not in offers:
        errors["offer"] = here.t("Choisissez l'offre qui l'a accompagnée.")
    if not errors and created is not None:
        try:
            company = outcomes.record_company(
                here.db,
                member,
                name=form["company"],
                siren=form["siren"],
                created_on=created,
                offer=form["offer"],
                offers=offers,
                site_id=form["company_site"],
                now=here.now.astimezone(ZoneInfo(here.console.timezone)),
            )
        except Conflict:
            errors["siren"] = here.t("Ce SIREN est déjà enregistré.")
        else:
            detail = {"siren": company.siren, "company": company.name}
            record(here, AuditAction.COMPANY_RECORDED, member, detail)
            return RedirectResponse(f"/members/{member.id}/outcomes?done=company", 303)
    return _page(here, member, form, errors, 422)


def _site_errors(here: Page, field: str) -> Errors:
    if here.form.get(field, "") not in choices.sites(here):
        return {field: here.t("Choisissez un site.")}
    return {}


def _who(here: Page, typed: str, errors: Errors) -> str:
    assert here.account is not None
    try:
        return clean_text(Field.GRANTED_BY, typed) or here.account.email[:100]
    except FieldRefused:
        errors["by"] = here.t("Trop long ou caractère interdit.")
        return ""


def _page(
    here: Page, member: Member, form: dict[str, str], errors: Errors, status: int = 200
) -> Response:
    sites = choices.sites(here)
    return here.render(
        "people/outcomes.html",
        status_code=status,
        member=member,
        form={"site": sites[0], "company_site": sites[0], **form} if len(sites) == 1 else form,
        errors=errors,
        skills=choices.skills(here),
        offers=choices.offers(here),
        sites=[choices.Choice(s, s) for s in sites],
        held=list(here.db.scalars(select(SkillRecord).where(SkillRecord.member_id == member.id))),
        companies=list(here.db.scalars(select(Company).where(Company.member_id == member.id))),
        done=here.request.query_params.get("done", ""),
    )
