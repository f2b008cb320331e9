"""Read model of the deadline board: each department's assignments by deadline state, in SQL aggregates.

The states reuse the one rule of the assignment list (``views._due_state_filter`` over
``RUNNING_ASSIGNMENT``), so a number on the board is the total of the list its link opens.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, distinct, func, select

from feedback.clock import now
from feedback.extensions import db
from feedback.models import Assignment, Department, ExtensionRequest, Supervision
from feedback.services.handling.views import _due_state_filter

DUE_STATES = ("on_time", "due_soon", "overdue")
DUE_STATE_LABELS = {"on_time": "正常", "due_soon": "临期", "overdue": "超期"}
SUPERVISION_LEVELS = ("duban", "tongbao")
# The board's columns, in order: what each counts is in ``_counts``.
COLUMNS = ("pending", *DUE_STATES, *SUPERVISION_LEVELS, "returned", "extensions", "returned_twice")
REPEAT_RETURNS = 2  # an item returned this often (by any departments) is flagged


@dataclass
class BoardRow:
    code: str
    name: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COLUMNS, 0))

    @property
    def flagged(self) -> bool:
        return self.counts["returned_twice"] > 0


def _per_department(query: Select, department_id: int | None, column: Any = Assignment.department_id) -> Select:
    query = query.group_by(column)
    return query if department_id is None else query.where(column == department_id)


def _counts(department_id: int | None = None) -> dict[int, dict[str, int]]:
    """{department id: {column: count}}, only departments with something to count."""
    moment = now()
    found: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COLUMNS, 0))

    def put(column: str, query: Select) -> None:
        for dept_id, n in db.session.execute(query):
            found[dept_id][column] = n

    per_assignment = select(Assignment.department_id, func.count(Assignment.id))
    put("pending", _per_department(per_assignment.where(Assignment.status == "pending"), department_id))
    for state in DUE_STATES:
        put(state, _per_department(_due_state_filter(per_assignment, state, moment), department_id))
    for level in SUPERVISION_LEVELS:
        open_items = select(Supervision.department_id, func.count(Supervision.id)).where(
            Supervision.level == level, Supervision.resolved_at.is_(None)
        )
        put(level, _per_department(open_items, department_id, Supervision.department_id))
    put("returned", _per_department(per_assignment.where(Assignment.status == "returned"), department_id))
    requests = select(Assignment.department_id, func.count(ExtensionRequest.id)).join(
        Assignment, Assignment.id == ExtensionRequest.assignment_id
    )
    put("extensions", _per_department(requests, department_id))
    bounced = (
        select(Assignment.feedback_id)
        .where(Assignment.status == "returned")
        .group_by(Assignment.feedback_id)
        .having(func.count(Assignment.id) >= REPEAT_RETURNS)
    )
    returned_twice = select(Assignment.department_id, func.count(distinct(Assignment.feedback_id))).where(
        Assignment.status == "returned", Assignment.feedback_id.in_(bounced)
    )
    put("returned_twice", _per_department(returned_twice, department_id))
    return found


def deadline_board() -> dict[str, Any]:
    """One row per department that has (had) assignments, the most urgent first; and the totals."""
    found = _counts()
    departments = db.session.execute(
        select(Department.id, Department.code, Department.name).where(Department.id.in_(list(found)))
    ).all()
    rows = [BoardRow(d.code, d.name, found[d.id]) for d in departments]
    urgency = ("tongbao", "overdue", "duban", "due_soon", "pending")
    rows.sort(key=lambda r: (*(-r.counts[c] for c in urgency), r.code))
    totals = {c: sum(r.counts[c] for r in rows) for c in COLUMNS}
    idle = db.session.scalar(
        select(func.count(Department.id)).where(Department.active.is_(True), Department.id.not_in(list(found)))
    )
    return {"rows": rows, "totals": totals, "idle_departments": idle or 0}


def department_card(department_id: int) -> dict[str, int]:
    """A handler's own department: 待签收, 临期, 超期 (the same counts as its row of the board)."""
    counts = _counts(department_id).get(department_id) or dict.fromkeys(COLUMNS, 0)
    return {"pending": counts["pending"], "due_soon": counts["due_soon"], "overdue": counts["overdue"]}
