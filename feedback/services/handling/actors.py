"""Who is acting, as the workflow and the event log need to know it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from feedback.errors import Conflict, Forbidden
from feedback.extensions import db
from feedback.models import Assignment, Feedback, StaffUser
from feedback.services.handling.events import record_event
from feedback.workflow import Transition, TransitionNotAllowed, check_assignment, check_feedback


@dataclass(frozen=True)
class Actor:
    type: str  # staff | reporter | system
    role: str
    id: int | None = None
    department_id: int | None = None

    @classmethod
    def staff(cls, user: StaffUser) -> Actor:
        return cls("staff", user.role, user.id, user.department_id)


REPORTER = Actor("reporter", "reporter")
SYSTEM = Actor("system", "system")


def _translate(exc: TransitionNotAllowed) -> Exception:
    if exc.reason == "role":
        return Forbidden(exc.message, code="role_not_allowed")
    return Conflict(exc.message, code="invalid_state")


def guard_feedback(action: str, feedback: Feedback, actor: Actor) -> Transition:
    try:
        return check_feedback(action, feedback.status, actor.role)
    except TransitionNotAllowed as exc:
        raise _translate(exc) from None


def guard_assignment(action: str, assignment: Assignment, actor: Actor) -> Transition:
    try:
        return check_assignment(action, assignment.status, actor.role)
    except TransitionNotAllowed as exc:
        raise _translate(exc) from None


# While the reporter is asked for more information the deadline clock of every assignment stops.
PAUSED_STATUS = "needs_info"


def _pause_assignments(feedback: Feedback, paused: bool) -> None:
    """Keep ``Assignment.paused`` equal to "the feedback waits for the reporter", so the deadline
    watch reads one column of the assignment instead of joining every feedback. Without autoflush:
    the caller's other changes are flushed together later (a flush in between would let
    ``updated_at`` take the exact moment, which reporter actions must not store)."""
    with db.session.no_autoflush:
        for assignment in db.session.scalars(select(Assignment).where(Assignment.feedback_id == feedback.id)):
            assignment.paused = paused


def move_feedback(
    feedback: Feedback,
    action: str,
    actor: Actor,
    *,
    to_status: str | None = None,
    reason: str | None = None,
    visible: bool = True,
    data: dict | None = None,
    assignment_id: int | None = None,
) -> None:
    """Check, change the status and write the event, in one place."""
    transition = guard_feedback(action, feedback, actor)
    before = feedback.status
    target = to_status or transition.target or before
    feedback.status = target
    if (before == PAUSED_STATUS) != (target == PAUSED_STATUS):
        _pause_assignments(feedback, target == PAUSED_STATUS)
    record_event(
        feedback.id,
        action,
        actor_type=actor.type,
        actor_id=actor.id,
        actor_role=actor.role,
        from_status=before,
        to_status=target,
        reason=reason,
        visible_to_reporter=visible,
        data=data,
        assignment_id=assignment_id,
    )


def move_assignment(
    assignment: Assignment,
    action: str,
    actor: Actor,
    *,
    reason: str | None = None,
    visible: bool = True,
    data: dict | None = None,
) -> None:
    transition = guard_assignment(action, assignment, actor)
    before = assignment.status
    assignment.status = transition.target or before
    record_event(
        assignment.feedback_id,
        action,
        actor_type=actor.type,
        actor_id=actor.id,
        actor_role=actor.role,
        from_status=before,
        to_status=assignment.status,
        reason=reason,
        visible_to_reporter=visible,
        data=data,
        assignment_id=assignment.id,
    )
