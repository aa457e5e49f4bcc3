"""What central refused of the sites' uploads, with what to do, and the records to merge.

`/refusals` lists the open refusals (an administrator: every site's; a manager: their
site's), each in plain words with the people it names, and the pairs of records that
look like one person (`station.refusals.candidates`). A refusal dealt with by hand is
marked so (POST /refusals/<id>/resolve); a merge resolves its own (console/merge.py).
"""

from __future__ import annotations

import uuid

from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from console.audit import record
from console.guard import Page, page
from console.i18n import Translate
from station.db.refusals import CentralRefusal, RefusalReason
from station.db.staff import SITE_ROLES, AuditAction, Role
from station.errors import NotFound
from station.refusals import candidates, open_refusals, resolve_by_hand


def scope(here: Page) -> str | None:
    """The site whose refusals the account sees (None: every site)."""
    assert here.account is not None
    return here.account.site_id if here.account.role in SITE_ROLES else None


def advice(t: Translate, reason: RefusalReason) -> str:
    """What to do about a refusal, in plain words."""
    words = {
        RefusalReason.BADGE_HELD: t(
            "Ce badge est déjà celui d'une autre fiche au registre, et il n'ouvre rien "
            "sous cette fiche-ci. Fusionnez les deux fiches si c'est la même personne "
            "(même nom, même e-mail) : elle garde son badge et son historique. Sinon le "
            "badge a été remis deux fois : reprenez-le et enrôlez-en un autre."
        ),
        RefusalReason.BADGE_ENROLLED: t("Rien à faire : la personne a déjà ce badge."),
        RefusalReason.TRAINING_HELD: t(
            "Le registre a déjà cette formation pour cette personne et garde la sienne. "
            "Vérifiez sur sa fiche la date et le formateur ; corrigez-les si besoin."
        ),
        RefusalReason.CHANGED_AT_CENTRAL: t(
            "La fiche a été modifiée ailleurs pendant que le site était hors ligne : la "
            "version du registre est gardée. Vérifiez la fiche et refaites la "
            "modification du site si elle manque."
        ),
        RefusalReason.FIELD_RULE: t(
            "Une valeur de la ligne enfreint une règle des fiches (nommée ci-dessous : "
            "trop longue, caractère invisible, adresse mal formée…), et le registre ne "
            "l'a pas prise. Corrigez la fiche au site : elle repartira corrigée ; son "
            "adhésion, son badge et ses formations, refusés avec elle, sont à redonner."
        ),
        RefusalReason.INVALID: t(
            "Le registre a refusé la ligne (une règle de la base). Vérifiez la fiche ; si "
            "le refus revient, transmettez le détail ci-dessous à l'administrateur."
        ),
    }
    return words[reason]


def entity(t: Translate, table: str) -> str:
    words = {
        "members": t("fiche"),
        "memberships": t("adhésion"),
        "credentials": t("badge"),
        "member_trainings": t("formation"),
    }
    return words.get(table, table)


@page(Role.MANAGER)
def refusals(here: Page) -> Response:
    site = scope(here)
    emails = site is None and here.request.query_params.get("emails") == "1"
    return here.render(
        "refusals.html",
        shown=open_refusals(here.db, site),
        pairs=candidates(here.db, site, emails=emails),
        site=site,
        emails=emails,
        advice=lambda reason: advice(here.t, reason),
        entity=lambda table: entity(here.t, table),
        done=here.request.query_params.get("done", ""),
    )


@page(Role.MANAGER)
def resolve(here: Page) -> Response:
    assert here.account is not None
    try:
        refusal_id = uuid.UUID(here.request.path_params["refusal_id"])
        found = here.db.get(CentralRefusal, refusal_id)
        site = scope(here)
        if found is None or (site is not None and found.site_id != site):
            raise NotFound("no such refusal")
        resolved = resolve_by_hand(here.db, refusal_id, here.now)
    except (ValueError, NotFound):
        return here.render("not_found.html", status_code=404)
    record(
        here.db,
        here.now,
        here.account.email,
        AuditAction.REFUSAL_RESOLVED,
        target=str(resolved.id),
        address=here.address,
        detail={"site": resolved.site_id, "reason": resolved.reason.value},
    )
    return RedirectResponse("/refusals?done=resolved", 303)


ROUTES = [
    Route("/refusals", refusals),
    Route("/refusals/{refusal_id}/resolve", resolve, methods=["POST"]),
]
