"""Importing people from a CSV file: upload, mapping and preview, confirmation, result.

POST /import keeps the file as an import batch (the console holds nothing outside the
database) and sends to /import/<id>, the preview: one select per column (a GET form,
so the preview is made again with the mapping chosen, nothing written), every problem
row named, and the confirmation. POST /import/<id> imports only if the preview made
again at that moment has the digest shown (same file, same mapping, same outcome of
every row), in the page's one transaction; a confirmed batch shows its result.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from zoneinfo import ZoneInfo

from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from console import audit
from console.guard import Page, page
from console.import_view import preview_context
from station.db.staff import AuditAction, ImportBatch, Role
from station.errors import InvalidInput
from station.importer import batches
from station.importer.apply import apply, serialize
from station.importer.mapping import ColumnMap, decode_mapping, encode_mapping
from station.importer.preview import Preview, preview
from station.importer.reading import read_sheet
from station.plans import membership_plan

ROLES = (Role.MANAGER, Role.RECEPTION)  # and the administrator, as everywhere


@page(*ROLES)
def upload_form(here: Page) -> Response:
    return here.render("import.html", error="")


@page(*ROLES)
def upload(here: Page) -> Response:
    assert here.account is not None
    sent = here.files.get("file")
    if sent is None or not sent.data:
        return here.render(
            "import.html", status_code=422, error=here.t("Choisissez un fichier CSV.")
        )
    try:
        sheet = read_sheet(sent.data)
    except InvalidInput:
        message = here.t("Ce fichier ne se lit pas comme un tableau CSV (vide ou trop grand).")
        return here.render("import.html", status_code=422, error=message)
    batch = batches.store(
        here.db, sent.data, filename=sent.filename, account=here.account.email, now=here.now
    )
    audit.record(
        here.db,
        here.now,
        here.account.email,
        AuditAction.IMPORT_UPLOADED,
        target=batch.filename,
        address=here.address,
        detail={"batch": str(batch.id), "sha256": batch.sha256, "rows": len(sheet.rows)},
    )
    return RedirectResponse(f"/import/{batch.id}", 303)


@page(*ROLES)
def batch_page(here: Page) -> Response:
    batch = _batch(here)
    if batch is None:
        return here.render("not_found.html", status_code=404)
    if batch.applied_at is not None or batch.content is None:
        return here.render("import_done.html", batch=batch, at=_local(here, batch))
    try:
        mapping = _mapping(here.request.query_params, batch)
    except InvalidInput:
        mapping = None
    return _show(here, batch, _preview(here, batch, mapping), status_code=200, error="")


@page(*ROLES)
def confirm(here: Page) -> Response:
    assert here.account is not None
    serialize(here.db)
    batch = _batch(here, lock=True)
    if batch is None:
        return here.render("not_found.html", status_code=404)
    if batch.applied_at is not None or batch.content is None:
        return RedirectResponse(f"/import/{batch.id}", 303)  # a second click imports nothing
    try:
        shown = _preview(here, batch, _mapping(here.form, batch))
    except InvalidInput:
        shown = _preview(here, batch, None)
        return _show(here, batch, shown, status_code=409, error=_CHANGED)
    if shown.mapping_problem is not None or here.form.get("digest") != shown.digest:
        return _show(here, batch, shown, status_code=409, error=_CHANGED)
    config = here.console.config
    days = {code: plan.days for code, plan in config.plans.items()} if config else {}
    done = apply(
        here.db,
        shown,
        now=here.now,
        badge_key=here.console.badge_key,
        plan_days=days,
        default_plan=membership_plan(config, None),
        created_for=here.account.site_id,
        granted_by=f"import {batch.filename}"[:100],
    )
    result = {
        "created": done.created,
        "present": done.present,
        "problem_rows": shown.problem_rows,
        "filename": batch.filename,
    }
    batches.mark_applied(batch, here.now, result)
    audit.record(
        here.db,
        here.now,
        here.account.email,
        AuditAction.IMPORT,
        target=batch.filename,
        address=here.address,
        detail={
            "batch": str(batch.id),
            "sha256": batch.sha256,
            "mapping": encode_mapping(shown.mapping),
            **result,
        },
    )
    return RedirectResponse(f"/import/{batch.id}", 303)


_CHANGED = (
    "L'aperçu a changé depuis son affichage (correspondance ou registre) : vérifiez-le de nouveau."
)


def _show(
    here: Page, batch: ImportBatch, shown: Preview, *, status_code: int, error: str
) -> Response:
    earlier = batches.earlier_import(here.db, batch)
    context = preview_context(shown, earlier)
    context["earlier_at"] = _local(here, earlier) if earlier is not None else None
    return here.render(
        "import_preview.html",
        status_code=status_code,
        batch=batch,
        error=here.t(error) if error else "",
        **context,
    )


def _local(here: Page, batch: ImportBatch) -> dt.datetime | None:
    """When `batch` was imported, in the console's time zone."""
    if batch.applied_at is None:
        return None
    return batch.applied_at.astimezone(ZoneInfo(here.console.timezone))


def _batch(here: Page, *, lock: bool = False) -> ImportBatch | None:
    """The batch of the path, if this account uploaded it (the administrator: any)."""
    assert here.account is not None
    try:
        batch_id = uuid.UUID(here.request.path_params["batch_id"])
    except ValueError:
        return None
    batch = batches.load(here.db, batch_id, lock=lock)
    if batch is None or (
        here.account.role is not Role.ADMIN and batch.account != here.account.email
    ):
        return None
    return batch


def _mapping(fields: Mapping[str, str], batch: ImportBatch) -> ColumnMap | None:
    """The mapping chosen in the form (c0, c1...), None when the form has none."""
    if "c0" not in fields:
        return None
    count = sum(1 for name in fields if name.startswith("c") and name[1:].isdigit())
    return decode_mapping(",".join(fields.get(f"c{i}", "") for i in range(count)), count)


def _preview(here: Page, batch: ImportBatch, mapping: ColumnMap | None) -> Preview:
    assert batch.content is not None
    config = here.console.config
    plans = {code: (p.fr, p.en) for code, p in config.plans.items()} if config else {}
    return preview(
        here.db,
        batch.content,
        mapping,
        today=here.now.date(),
        badge_key=here.console.badge_key,
        plans=plans,
    )


ROUTES = [
    Route("/import", upload_form, methods=["GET"]),
    Route("/import", upload, methods=["POST"]),
    Route("/import/{batch_id}", batch_page, methods=["GET"]),
    Route("/import/{batch_id}", confirm, methods=["POST"]),
]
