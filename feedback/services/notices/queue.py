"""The notification outbox: queue a notice in the caller's transaction, addressed by config/notifications.yaml.

A notice is written to ``outbox_messages`` together with the change it reports and delivered later
by the outbox-sender job, so a rolled-back change never notifies anyone and a notice is never lost
to a crash between "changed" and "told". ``dedupe_key`` is unique: the first transaction to queue a
key wins, every later (or concurrent) one gets ``None`` — that is what makes "each notice exactly
once" hold however often, and in how many processes, the job that queues it runs.

Who receives it is decided by ``notices.recipients`` (operator data read on demand, never at import).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from feedback.clock import now
from feedback.extensions import db
from feedback.models import Department, ObservationPoint, OutboxMessage
from feedback.services.bulk_insert import insert_rows
from feedback.services.inserts import insert_if_absent
from feedback.services.notices.recipients import recipient_for
from feedback.timeutil import day_start

SUBJECT_MAX = 200


# Notices that report something a reporter did: every moment stored about them is the day only.
REPORTER_STEP_KINDS = frozenset({"reporter_answered", "rated_unsatisfied"})


def enqueue(
    *,
    kind: str,
    dedupe_key: str,
    subject: str,
    body: str,
    department_id: int | None = None,
    point_id: int | None = None,
    payload: dict | None = None,
    reporter_step: bool = False,
) -> OutboxMessage | None:
    """Queue a notice in the current transaction (flushed, not committed); None if the key was queued before.

    ``reporter_step``: the notice reports something a reporter did, whose moment is kept to the day
    only (like the reporter's own events and messages, ``timeutil.day_start``), so the notice is
    stamped with that day too.
    """
    if not dedupe_key or len(dedupe_key) > 128:
        raise ValueError("dedupe_key must be 1..128 characters")
    if db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)) is not None:
        return None
    recipient = recipient_for(kind, department_id, point_id)
    moment = day_start(now()) if reporter_step or kind in REPORTER_STEP_KINDS else now()
    new_id = insert_if_absent(
        OutboxMessage,
        {
            "dedupe_key": dedupe_key,
            "kind": kind,
            "channel": recipient.channel,
            "recipient": recipient.target,
            "department_id": department_id,
            "point_id": point_id,
            "subject": subject[:SUBJECT_MAX],
            "body": body,
            "payload": payload,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": moment,
            "created_at": moment,
        },
        ["dedupe_key"],
    )
    return db.session.get(OutboxMessage, new_id) if new_id is not None else None


def enqueue_many(notices: list[dict[str, Any]]) -> set[str]:
    """Queue many notices with one INSERT … ON CONFLICT DO NOTHING (services.bulk_insert); each
    dict holds ``enqueue``'s arguments. Returns the dedupe keys this call queued: a key queued
    before, or by a concurrent transaction, is left out, exactly as ``enqueue`` returns None."""
    if not notices:
        return set()
    moment = now()
    # Held here so recipient_for's session.get finds them in the identity map instead of one
    # SELECT per notice (the session keeps only weak references).
    departments = {n["department_id"] for n in notices if n.get("department_id") is not None}
    points = {n["point_id"] for n in notices if n.get("point_id") is not None}
    held = [
        *(db.session.scalars(select(Department).where(Department.id.in_(departments))) if departments else ()),
        *(db.session.scalars(select(ObservationPoint).where(ObservationPoint.id.in_(points))) if points else ()),
    ]
    rows = []
    for notice in notices:
        key = notice["dedupe_key"]
        if not key or len(key) > 128:
            raise ValueError("dedupe_key must be 1..128 characters")
        recipient = recipient_for(notice["kind"], notice.get("department_id"), notice.get("point_id"))
        rows.append(
            {
                "dedupe_key": key,
                "kind": notice["kind"],
                "channel": recipient.channel,
                "recipient": recipient.target,
                "department_id": notice.get("department_id"),
                "point_id": notice.get("point_id"),
                "subject": notice["subject"][:SUBJECT_MAX],
                "body": notice["body"],
                "payload": notice.get("payload"),
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": moment,
                "created_at": moment,
            }
        )
    queued = set(insert_rows(OutboxMessage.__table__, rows, conflict=["dedupe_key"], returning="dedupe_key"))
    del held
    return queued
