"""Load the duty list from the database and ask the routing module for a suggestion.

Every submission asks for a suggestion, and reading the duty list cost 3 ms of each: the list is
kept per app by services.app_cache (its rules are immutable values). Only suggestions read it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from feedback.extensions import db
from feedback.models import Department, Responsibility
from feedback.route_suggestion import DepartmentRef, Rule, Suggestion, suggest
from feedback.services.app_cache import cached


def _ref(dept: Department) -> DepartmentRef:
    return DepartmentRef(code=dept.code, name=dept.name, level=dept.level)


def load_rules() -> list[Rule]:
    """The active duty list, from this app's cache (services.app_cache)."""
    return cached("duty_list", read_rules)


def read_rules() -> list[Rule]:
    stmt = (
        select(Responsibility)
        .where(Responsibility.active.is_(True))
        .options(selectinload(Responsibility.primary_department), selectinload(Responsibility.cooperating_departments))
    )
    return [
        Rule(
            code=r.code,
            matter=r.matter,
            primary=_ref(r.primary_department),
            tags=tuple(r.tags or ()),
            terms=tuple(r.terms or ()),
            cooperating=tuple(_ref(d) for d in r.cooperating_departments),
            path=r.path,
            deadline_class=r.deadline_class,
            imposer_level=r.imposer_level,
            complex=r.complex,
            priority=r.priority,
        )
        for r in db.session.scalars(stmt)
    ]


def suggestion_for(tag_codes: list[str], text: str, imposer_level: str | None = None) -> Suggestion | None:
    return suggest(load_rules(), tag_codes, text, imposer_level)


def rule_matters(codes: list[str]) -> dict[str, str]:
    """The duty list's matter (事项) of each rule code, for saying which rule fired."""
    if not codes:
        return {}
    stmt = select(Responsibility.code, Responsibility.matter).where(Responsibility.code.in_(codes))
    return {code: matter for code, matter in db.session.execute(stmt)}
