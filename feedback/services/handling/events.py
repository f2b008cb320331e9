"""Append-only events; every change to a feedback writes one."""

from __future__ import annotations

from typing import Any

from feedback.clock import now
from feedback.extensions import db
from feedback.models import Event
from feedback.services.bulk_insert import insert_rows
from feedback.timeutil import day_start


def record_event(
    feedback_id: int | None,
    action: str,
    *,
    actor_type: str = "system",
    actor_id: int | None = None,
    actor_role: str | None = None,
    from_status: str | None = None,
    to_status: str | None = None,
    reason: str | None = None,
    visible_to_reporter: bool = False,
    assignment_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> Event:
    event = Event(
        feedback_id=feedback_id,
        assignment_id=assignment_id,
        action=action,
        actor_type=actor_type,
        actor_id=actor_id,
        actor_role=actor_role,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        visible_to_reporter=visible_to_reporter,
        data=data,
        # A reporter's steps keep only their day (timeutil.day_start); staff steps keep the moment.
        created_at=day_start(now()) if actor_type == "reporter" else now(),
    )
    db.session.add(event)
    return event


def record_system_events(rows: list[dict[str, Any]]) -> None:
    """Many system events at once (services.bulk_insert), as ``record_event`` would
    write them one by one; each dict holds feedback_id, action and any of its keyword arguments."""
    if not rows:
        return
    moment = now()
    fields = ("assignment_id", "actor_id", "from_status", "to_status", "reason", "data")
    values = [
        {
            "feedback_id": row["feedback_id"],
            "action": row["action"],
            "actor_type": "system",
            "actor_role": row.get("actor_role", "system"),
            "visible_to_reporter": False,
            "created_at": moment,
            **{k: row.get(k) for k in fields},
        }
        for row in rows
    ]
    insert_rows(Event.__table__, values)
