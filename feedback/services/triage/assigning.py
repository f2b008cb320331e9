"""Triage routes a feedback: direct assignment, escalation, or after a consultation."""

from __future__ import annotations

from sqlalchemy import select

from feedback.clock import now
from feedback.errors import ValidationFailed
from feedback.extensions import db
from feedback.models import Assignment, Department, Feedback
from feedback.services.handling import deadlines
from feedback.services.handling.actors import SYSTEM, Actor, guard_feedback, move_feedback
from feedback.services.handling.events import record_event
from feedback.services.notices import action_notices
from feedback.workflow import OPEN_ASSIGNMENT


def department(code: str, field: str) -> Department:
    dept = db.session.scalar(select(Department).where(Department.code == code, Department.active.is_(True)))
    if dept is None:
        raise ValidationFailed(errors={field: [f"未找到部门“{code}”"]})
    return dept


def active_departments() -> list[Department]:
    """Every department that can be given work, by level (province first) and name: the pickers' list."""
    order = {"province": 0, "city": 1, "district": 2, "township": 3}
    found = db.session.scalars(select(Department).where(Department.active.is_(True)).order_by(Department.code))
    return sorted(found, key=lambda d: (order.get(d.level, 9), d.code))


def open_assignments(feedback: Feedback) -> list[Assignment]:
    return list(
        db.session.scalars(
            select(Assignment)
            .where(Assignment.feedback_id == feedback.id, Assignment.status.in_(OPEN_ASSIGNMENT))
            .order_by(Assignment.id)
        )
    )


def _new_assignment(
    feedback: Feedback,
    dept: Department,
    role: str,
    path: str,
    actor: Actor,
    instructions: str | None,
    consultation_id: int | None,
) -> Assignment:
    start = now()
    assignment = Assignment(
        feedback_id=feedback.id,
        department_id=dept.id,
        role=role,
        path=path,
        status="pending",
        instructions=instructions,
        assigned_by=actor.id,
        assigned_at=start,
        consultation_id=consultation_id,
    )
    deadlines.start_deadlines(assignment, path)
    db.session.add(assignment)
    db.session.flush()
    action_notices.assigned(assignment)
    return assignment


def create_assignments(
    feedback: Feedback,
    actor: Actor,
    *,
    primary_code: str,
    cooperating_codes: list[str],
    path: str,
    instructions: str | None = None,
    consultation_id: int | None = None,
    action: str = "assign",
) -> list[Assignment]:
    guard_feedback(action, feedback, actor)  # the state decides first: nothing is looked up or written before
    primary = department(primary_code, "primary")
    if path == "escalate" and primary.level != "city":
        raise ValidationFailed(errors={"primary": ["转市直部门上报时，承办部门须为市级部门"]})
    cooperating = [department(code, "cooperating") for code in dict.fromkeys(cooperating_codes)]
    if any(d.id == primary.id for d in cooperating):
        raise ValidationFailed(errors={"cooperating": ["协办部门不能与主办部门相同"]})
    busy = {a.department_id for a in open_assignments(feedback)}
    if primary.id in busy:
        raise ValidationFailed(errors={"primary": [f"{primary.name}已有未办结的交办单"]})
    created = [_new_assignment(feedback, primary, "primary", path, actor, instructions, consultation_id)]
    created += [
        _new_assignment(feedback, d, "cooperating", path, actor, instructions, consultation_id)
        for d in cooperating
        if d.id not in busy
    ]
    feedback.route_path = path
    names = "、".join(d.name for d in [primary, *cooperating])
    move_feedback(
        feedback,
        action,
        actor,
        data={
            "reporter_note": f"已交办：{names}",
            "primary": primary.code,
            "cooperating": [d.code for d in cooperating],
            "path": path,
            "assignments": [a.id for a in created],
            "due_at": created[0].due_at.isoformat(),
            "due_provisional": created[0].due_provisional,
        },
    )
    return created


def route_direct(
    actor: Actor, feedback: Feedback, primary: str, cooperating: list[str], instructions: str | None
) -> list[Assignment]:
    return create_assignments(
        feedback, actor, primary_code=primary, cooperating_codes=cooperating, path="direct", instructions=instructions
    )


def route_escalate(actor: Actor, feedback: Feedback, municipal: str, instructions: str | None) -> list[Assignment]:
    """A provincial department's burden goes to the matching municipal department, which reports upward."""
    return create_assignments(
        feedback,
        actor,
        primary_code=municipal,
        cooperating_codes=[],
        path="escalate",
        instructions=instructions,
        action="escalate",
    )


def returned_to_triage(feedback: Feedback, reason: str) -> None:
    """The primary department returned it: triage must route again (after the reporter answers, if asked)."""
    if feedback.status == "needs_info":
        feedback.paused_from_status = "submitted"
        record_event(
            feedback.id,
            "returned_to_triage",
            actor_type="system",
            actor_role="system",
            from_status="needs_info",
            to_status="needs_info",
            reason=reason,
        )
        return
    move_feedback(feedback, "returned_to_triage", SYSTEM, reason=reason, visible=False)
