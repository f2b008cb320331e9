"""A week of the org department's work, for the 工作台 tests and the browser journey.

Something waits in every queue: two new items, one waiting for the reporter, one in a 会商, an
extension request, a report to verify; city-wb has an assignment overdue (督办), one due soon and one
on time; city-fb returned the same item twice.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from feedback.models import Assignment, Feedback
from feedback.services.handling import assignments as handling
from feedback.services.handling.actors import Actor
from feedback.services.intake.reporter import feedback_by_receipt
from feedback.services.intake.submit import submit_feedback
from feedback.services.notices import deadline_watch
from feedback.services.triage import consultations, decisions
from tests.support.api import FORMS, MEETING, WEDNESDAY_0930, frozen, route

TRIAGE = Actor("staff", "triage")


def new_feedback(db: Any, text: str) -> int:
    body, _ = submit_feedback("cadre", {"kind": "problem", "content": text})
    db.session.commit()
    return feedback_by_receipt(body["receipt"]).id


def handler_of(db: Any, assignment_id: int) -> tuple[Actor, Assignment]:
    assignment = db.session.get(Assignment, assignment_id)
    return Actor("staff", "handler", None, assignment.department_id), assignment


def busy_week(app: Any, db: Any) -> dict[str, int]:
    """A week of work: something in every queue, one department overdue, one returning an item twice."""
    clock = frozen(app, WEDNESDAY_0930)
    (late,) = route(db, new_feedback(db, MEETING), "city-wb")
    clock.advance(days=2)
    (soon,) = route(db, new_feedback(db, MEETING + "（二）"), "city-wb")

    bounced = new_feedback(db, FORMS)
    for _ in range(2):  # city-fb returns the same item twice
        (returned,) = route(db, bounced, "city-fb")
        actor, assignment = handler_of(db, returned)
        handling.return_assignment(actor, assignment, "不属于本部门职责")
        db.session.commit()

    asked = new_feedback(db, "乡镇每周被要求报送三份相同的材料。")
    decisions.ask_reporter(TRIAGE, db.session.get(Feedback, asked), "请问是哪个部门要求的？")
    met = new_feedback(db, "多个部门轮番检查同一项工作，基层应接不暇。")
    consultations.convene(
        TRIAGE, title="检查过多专题会商", feedback_ids=[met], department_codes=["city-wb", "city-tj"], scheduled_on=None
    )
    new_feedback(db, "村里要求网格员每天拍照打卡。")
    db.session.commit()

    moment = db.session.get(Assignment, late).due_at + timedelta(hours=1)
    clock.freeze(moment)
    deadline_watch.mark_overdue(moment)  # 督办 for the overdue one
    (fresh,) = route(db, new_feedback(db, MEETING + "（三）"), "city-wb")
    actor, assignment = handler_of(db, fresh)
    handling.request_extension(actor, assignment, 5, "需协调多个科室")
    (answered,) = route(db, new_feedback(db, FORMS + "（二）"), "city-tj")
    actor, assignment = handler_of(db, answered)
    handling.acknowledge(actor, assignment)
    handling.respond(actor, assignment, measures="合并报表", result="已取消重复报送", summary=None, attachments=[])
    db.session.commit()
    return {"late": late, "soon": soon, "fresh": fresh, "answered": answered, "bounced": bounced}
