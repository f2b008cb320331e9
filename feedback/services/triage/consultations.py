"""集中会商: triage convenes departments on one or more feedback items, then assigns from the outcome."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from feedback.clock import now
from feedback.errors import Conflict, NotFound, ValidationFailed
from feedback.extensions import db
from feedback.models import Assignment, Consultation, Feedback, consultation_items
from feedback.services.handling.actors import Actor, move_feedback
from feedback.services.handling.events import record_event
from feedback.services.paging import paginate
from feedback.services.triage.assigning import create_assignments, department
from feedback.timeutil import local_date

CORRECTABLE = ("held_on", "attendees", "outcome")


def get_consultation(consultation_id: int) -> Consultation:
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        raise NotFound("未找到该会商", code="consultation_not_found")
    return consultation


def list_consultations(page: int, per_page: int) -> tuple[list[Consultation], int]:
    """One page of consultations, the most recent first (those still to be held on top)."""
    stmt = select(Consultation).order_by(Consultation.status, Consultation.id.desc())
    return paginate(stmt, page, per_page, scalars=True)


def items_of(consultation: Consultation) -> list[Feedback]:
    return list(
        db.session.scalars(
            select(Feedback)
            .join(consultation_items, consultation_items.c.feedback_id == Feedback.id)
            .where(consultation_items.c.consultation_id == consultation.id)
            .order_by(Feedback.id)
        )
    )


def convene(
    actor: Actor, *, title: str, feedback_ids: list[int], department_codes: list[str], scheduled_on: date | None
) -> Consultation:
    if len(set(department_codes)) < 2:
        raise ValidationFailed(errors={"departments": ["集中会商至少需要两个部门参加"]})
    departments = [department(code, "departments") for code in dict.fromkeys(department_codes)]
    items = []
    for feedback_id in dict.fromkeys(feedback_ids):
        feedback = db.session.get(Feedback, feedback_id)
        if feedback is None:
            raise ValidationFailed(errors={"feedback_ids": [f"未找到反映 {feedback_id}"]})
        items.append(feedback)
    consultation = Consultation(
        title=title, scheduled_on=scheduled_on, convened_by=actor.id, departments=departments, created_at=now()
    )
    db.session.add(consultation)
    db.session.flush()
    for feedback in items:
        move_feedback(
            feedback,
            "convene",
            actor,
            data={"consultation_id": consultation.id, "reporter_note": "组织部已召集相关部门集中会商"},
        )
        feedback.route_path = "consult"
        db.session.execute(consultation_items.insert().values(consultation_id=consultation.id, feedback_id=feedback.id))
    return consultation


def record_outcome(
    actor: Actor,
    consultation: Consultation,
    *,
    held_on: date,
    attendees: list[str],
    outcome: str,
    assignments: list[dict],
) -> list[Assignment]:
    """Every item still in consultation gets its assignment from the meeting's decision."""
    if consultation.status != "convened":
        raise Conflict("该会商已记录结果；如需更正日期、参会人员或结果，请使用更正", code="consultation_held")
    _not_in_future(held_on)
    pending = {f.id: f for f in items_of(consultation) if f.status == "in_consultation"}
    decided = {int(spec["feedback_id"]): spec for spec in assignments}
    unknown = sorted(set(decided) - set(pending))
    missing = sorted(set(pending) - set(decided))
    if unknown or missing:
        raise ValidationFailed(
            errors={"assignments": [f"会商事项与交办安排不一致：缺少 {missing or '无'}，多出 {unknown or '无'}"]}
        )
    consultation.status, consultation.held_on = "held", held_on
    consultation.attendees, consultation.outcome = attendees, outcome
    created: list[Assignment] = []
    for feedback_id, spec in decided.items():
        created += create_assignments(
            pending[feedback_id],
            actor,
            primary_code=spec["primary"],
            cooperating_codes=spec.get("cooperating", []),
            path="consult",
            instructions=spec.get("instructions") or outcome,
            consultation_id=consultation.id,
            action="assign_from_consultation",
        )
    return created


def _not_in_future(held_on: date) -> None:
    if held_on > local_date(now()):
        raise ValidationFailed(errors={"held_on": ["会商日期不能晚于今天；请在会商召开后再记录结果"]})


def correct_outcome(actor: Actor, consultation: Consultation, changes: dict, reason: str) -> None:
    """Correct the record of a meeting already held (date, attendees, outcome text).

    The assignments made from it stay as they are; each item's history gets an event with the
    values before and after, who corrected them and why.
    """
    if consultation.status != "held":
        raise Conflict("该会商尚未记录结果，不能更正", code="consultation_not_held")
    changes = {k: v for k, v in changes.items() if k in CORRECTABLE}
    if "held_on" in changes:
        _not_in_future(changes["held_on"])
    before = {k: getattr(consultation, k) for k in changes}
    changed = {k: v for k, v in changes.items() if before[k] != v}
    if not changed:
        raise ValidationFailed(errors={"body": ["更正内容与原记录相同"]})
    for key, value in changed.items():
        setattr(consultation, key, value)

    def plain(values: dict) -> dict:
        return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}

    data = {
        "consultation_id": consultation.id,
        "before": plain({k: before[k] for k in changed}),
        "after": plain(changed),
    }
    for feedback in items_of(consultation):
        record_event(
            feedback.id,
            "correct_consultation",
            actor_type=actor.type,
            actor_id=actor.id,
            actor_role=actor.role,
            reason=reason,
            visible_to_reporter=False,
            data=data,
        )
    db.session.flush()
