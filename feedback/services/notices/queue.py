"""The notification outbox: queue a notice in the caller's transaction, addressed by config/notifications.yaml.

A notice is written to ``outbox_messages`` together with the change it reports and delivered later
by the outbox-sender job, so a rolled-back change never notifies anyone and a notice is never lost
to a crash between "changed" and "told". ``dedupe_key`` is unique: the first transaction to queue a
key wins, every later (or concurrent) one gets ``None`` — that is what makes "each notice exactly
once" hold however often, and in how many processes, the job that queues it runs.

Who receives it is decided by ``notices.recipients`` (operator data read on demand, never at import).
"""

from __future__ import annotations

from sqlalchemy import select

from feedback.clock import now
from feedback.extensions import db
from feedback.models import OutboxMessage
from feedback.services.inserts import insert_if_absent
from feedback.services.notices.recipients import recipient_for
from feedback.timeutil import day_start

SUBJECT_MAX = 200


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
    moment = day_start(now()) if reporter_step else now()
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
