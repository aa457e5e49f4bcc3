"""Central checks a site's registry rows against station.fields again, as they arrive.

A site writes people through station.registry, which applies the field rules; a row
that breaks one all the same (a site of an older version, a database edited by hand)
is refused by central with the field and the rule named, and the refusal reaches the
console and the site like any other (`sync.refused`), rather than being left to
PostgreSQL's column limits (which say neither, and accept a right-to-left override).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from station.db import Badge, Member, Membership, MemberTraining
from station.db.refusals import RefusalReason
from station.fields import Field, FieldRefused, Problem, clean_text, member_problems
from sync.refused import Refused


def field_refusal(model: Any, row: Mapping[str, Any]) -> Refused | None:
    """Why central refuses `row` of `model` under the field rules (None: it keeps them)."""
    check = _CHECKS.get(model)
    problems = check(row) if check is not None else []
    if not problems:
        return None
    words = "; ".join(
        f"{p.field.value} breaks the rule {p.rule.value}: {p.message}" for p in problems
    )
    return Refused(RefusalReason.FIELD_RULE, f"refused by central: {words}")


def _member(row: Mapping[str, Any]) -> list[Problem]:
    return member_problems(
        row.get("first_name") or "", row.get("last_name") or "", row.get("email")
    )


def _text(field: Field, column: str) -> Callable[[Mapping[str, Any]], list[Problem]]:
    def check(row: Mapping[str, Any]) -> list[Problem]:
        try:
            clean_text(field, row.get(column) or "")
        except FieldRefused as refused:
            return [Problem(refused.field, refused.rule, refused.detail)]
        return []

    return check


_CHECKS: Mapping[Any, Callable[[Mapping[str, Any]], list[Problem]]] = {
    Member: _member,
    Membership: _text(Field.PLAN, "plan"),
    Badge: _text(Field.BADGE_LABEL, "label"),
    MemberTraining: _text(Field.GRANTED_BY, "granted_by"),
}
