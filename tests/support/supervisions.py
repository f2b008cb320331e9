"""督办/通报 items for console tests: assignments routed on a frozen day and supervision rows raised later."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from feedback.models import Assignment, Supervision
from feedback.services.intake.reporter import feedback_by_receipt
from feedback.services.intake.submit import submit_feedback
from feedback.timeutil import CHINA
from tests.support.api import MEETING, route

# (department, level, raised on, resolved on)
DEFAULT_ROWS = (
    ("city-wb", "duban", date(2026, 10, 12), None),
    ("city-wb", "tongbao", date(2026, 10, 19), None),
    ("city-tj", "duban", date(2026, 10, 12), None),
    ("city-fgw", "duban", date(2026, 10, 12), date(2026, 10, 14)),
)


def at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour, 5), tzinfo=CHINA).astimezone(UTC)


def raise_supervisions(app: Any, db: Any, rows=DEFAULT_ROWS, today: date = date(2026, 10, 21)) -> dict[str, int]:
    """Route one feedback per department on 2026-09-09 (due 09-30), add the rows, freeze the clock at ``today``.

    Needs the sample reference data (the ``seeded`` fixture). Returns {department code: assignment id}.
    """
    clock = app.extensions["clock"]
    clock.freeze(at(date(2026, 9, 9)))
    ids: dict[str, int] = {}
    for dept in dict.fromkeys(row[0] for row in rows):
        body, _ = submit_feedback(f"supervision-test-{dept}", {"kind": "problem", "content": MEETING})
        db.session.commit()
        (ids[dept],) = route(db, feedback_by_receipt(body["receipt"]).id, dept)
    for dept, level, raised, resolved in rows:
        assignment = db.session.get(Assignment, ids[dept])
        db.session.add(
            Supervision(
                assignment_id=assignment.id,
                department_id=assignment.department_id,
                level=level,
                created_at=at(raised, 8),
                resolved_at=at(resolved) if resolved else None,
            )
        )
    db.session.commit()
    clock.freeze(at(today))
    return ids
