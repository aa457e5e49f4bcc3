"""Writing a person's record from the console: each write its own page, all of them
listed here (console/app.py adds `ROUTES` before the read-only pages, so that
/members/new is not taken for a person's id)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from starlette.routing import Route

from console.people_badges import badge_revoke, member_badges, secure_only
from console.people_create import member_new
from console.people_edit import member_edit
from console.people_outcomes import company_record, member_outcomes, skill_record
from console.people_pin import member_pin
from console.people_privacy import member_export, member_forget
from console.people_renew import member_renew
from console.people_rules import may_create, writes
from console.people_trainings import member_trainings, training_revoke

BOTH = ["GET", "POST"]
POST = ["POST"]
PERSON = "/members/{member_id}"

ROUTES = [
    Route("/members/new", member_new, methods=BOTH),
    Route(f"{PERSON}/edit", member_edit, methods=BOTH),
    Route(f"{PERSON}/renew", member_renew, methods=BOTH),
    Route(f"{PERSON}/badges", member_badges, methods=BOTH),
    Route(f"{PERSON}/badges/{{badge_id}}/revoke", badge_revoke, methods=POST),
    Route(f"{PERSON}/secure-only", secure_only, methods=POST),
    Route(f"{PERSON}/trainings", member_trainings, methods=BOTH),
    Route(f"{PERSON}/trainings/{{code}}/revoke", training_revoke, methods=POST),
    Route(f"{PERSON}/pin", member_pin, methods=BOTH),
    Route(f"{PERSON}/export", member_export, methods=POST),
    Route(f"{PERSON}/forget", member_forget, methods=BOTH),
    Route(f"{PERSON}/outcomes", member_outcomes),
    Route(f"{PERSON}/outcomes/skill", skill_record, methods=POST),
    Route(f"{PERSON}/outcomes/company", company_record, methods=POST),
]

# What the templates call: `people_writes(account, member)` (people/actions.html) and
# `people_may_create(account)` (members.html).
TEMPLATE_GLOBALS: Mapping[str, Callable[..., Any]] = {
    "people_writes": writes,
    "people_may_create": may_create,
}
