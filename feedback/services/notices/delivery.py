"""Delivering the outbox: claim, send, record — committing after each step so each message goes out once.

Exactly once per (assignment, kind) is decided when a notice is queued (the unique ``dedupe_key``).
Delivery is at-least-once: SMTP and HTTP have no way to ask "did you already get this?", so a
process that dies after the server accepted a message and before its "sent" was committed will
send it again once the claim expires. Claiming in its own commit, and committing each message's
outcome straight after its send, narrows that to the moment between one send and one commit.

Claims: ``pending`` → ``sending`` with ``claimed_until``, in one UPDATE that re-checks the status
(PostgreSQL also skips rows another sender has locked), so two senders never take the same
message. A message left ``sending`` past ``claimed_until`` (the sender crashed) goes back to
``pending``. Failures retry with back-off; after OUTBOX_MAX_ATTEMPTS the message is ``dead``,
listed for admins, who can retry it once the cause is fixed.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select, update

from feedback.clock import now
from feedback.errors import Conflict, NotFound
from feedback.extensions import db, dialect_name
from feedback.failures import log_failure
from feedback.models import OutboxMessage
from feedback.services.notices.channels import Channel, DeliveryError, channel_for
from feedback.services.notices.queue import REPORTER_STEP_KINDS
from feedback.services.notices.recipients import recipient_rules
from feedback.timeutil import day_start

log = logging.getLogger("feedback.notifications")
INTERRUPTED = "上次发送中断（发送进程退出或超时），已重新排队"
INTERRUPTED_LAST = "发送中断（发送进程退出或超时），且已达到最大尝试次数"


def max_attempts() -> int:
    return current_app.config["OUTBOX_MAX_ATTEMPTS"]


def backoff(attempts: int) -> timedelta:
    """Wait after the n-th failed attempt: 1, 5, 30, 120, 720 minutes, then 720 again."""
    steps = list(current_app.config["OUTBOX_BACKOFF_MINUTES"])
    return timedelta(minutes=steps[min(max(attempts, 1), len(steps)) - 1])


def _update(*where: Any, **values: Any):
    return db.session.execute(
        update(OutboxMessage).where(*where).values(**values).execution_options(synchronize_session=False)
    )


def recover_stale(moment: datetime) -> int:
    """Messages whose sender died mid-way: back to pending, or dead if that was their last attempt."""
    stale = (OutboxMessage.status == "sending", OutboxMessage.claimed_until < moment)
    dead = _update(
        *stale, OutboxMessage.attempts >= max_attempts(), status="dead", claimed_until=None, last_error=INTERRUPTED_LAST
    ).rowcount
    back = _update(
        *stale, status="pending", claimed_until=None, next_attempt_at=moment, last_error=INTERRUPTED
    ).rowcount
    db.session.commit()
    return dead + back


def claim(moment: datetime, limit: int, lease: timedelta) -> tuple[list[int], datetime]:
    """Take up to ``limit`` due messages for this sender; committed before anything is sent."""
    due = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= moment)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    if dialect_name() == "postgresql":
        due = due.with_for_update(skip_locked=True)
    until = moment + lease
    stmt = (
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(due.scalar_subquery()), OutboxMessage.status == "pending")
        .values(status="sending", claimed_until=until, attempts=OutboxMessage.attempts + 1)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    ids = sorted(db.session.scalars(stmt))
    db.session.commit()
    return ids, until


def _finish(message_id: int, token: datetime, **values: Any) -> bool:
    """Record an outcome only if the claim is still ours (not expired and taken by another sender)."""
    mine = (OutboxMessage.id == message_id, OutboxMessage.status == "sending", OutboxMessage.claimed_until == token)
    done = _update(*mine, claimed_until=None, **values).rowcount == 1
    db.session.commit()
    return done


def deliver(message_id: int, token: datetime, channels: dict[str, Channel]) -> str:
    """Send one claimed message and commit its outcome: "sent", "retry" or "dead"."""
    message = db.session.get_one(OutboxMessage, message_id)  # claimed by us; outbox rows are never deleted
    attempts = message.attempts
    try:
        if message.channel not in channels:
            channels[message.channel] = channel_for(message.channel, current_app.config, recipient_rules())
        channels[message.channel].send(message)
    except DeliveryError as exc:
        error = str(exc)
    except Exception as exc:  # a bug in a channel must not stop the other messages
        log_failure(log, "outbox message %s: unexpected error in channel %s", exc, message_id, message.channel)
        error = f"发送时出现内部错误（{type(exc).__name__}）"
    else:
        # A notice of a reporter's step keeps the day only, or its send time (a minute after the
        # reporter acted) would tell the org department when that was.
        sent_at = day_start(now()) if message.kind in REPORTER_STEP_KINDS else now()
        _finish(message_id, token, status="sent", sent_at=sent_at, last_error=None)
        return "sent"
    if attempts >= max_attempts():
        log.error("outbox message %s is dead after %s attempts: %s", message_id, attempts, error)
        _finish(message_id, token, status="dead", last_error=error)
        return "dead"
    log.warning("outbox message %s failed (attempt %s): %s", message_id, attempts, error)
    _finish(message_id, token, status="pending", next_attempt_at=now() + backoff(attempts), last_error=error)
    return "retry"


def _release(ids: list[int], token: datetime) -> int:
    """Hand claimed-but-unsent messages back untouched (their attempt did not happen)."""
    released = _update(
        OutboxMessage.id.in_(ids),
        OutboxMessage.status == "sending",
        OutboxMessage.claimed_until == token,
        status="pending",
        claimed_until=None,
        attempts=OutboxMessage.attempts - 1,
    ).rowcount
    db.session.commit()
    return released


def send_due(moment: datetime | None = None) -> dict[str, int]:
    """One sender run: recover, then claim and deliver batches until none is due or time is up.

    Commits as it goes (see the module doc). The time budget (OUTBOX_RUN_SECONDS) stays under
    the job's lease, and a claim is not used once it is about to expire, since another sender
    may then take the message over.
    """
    counts = {
        "recovered": recover_stale(moment or now()),
        "claimed": 0,
        "sent": 0,
        "retry": 0,
        "dead": 0,
        "released": 0,
    }
    lease = timedelta(seconds=current_app.config["OUTBOX_CLAIM_SECONDS"])
    batch = current_app.config["OUTBOX_BATCH_SIZE"]
    margin = timedelta(
        seconds=2 * max(current_app.config["SMTP_TIMEOUT_SECONDS"], current_app.config["WEBHOOK_TIMEOUT_SECONDS"])
    )
    stop_at = time.monotonic() + current_app.config["OUTBOX_RUN_SECONDS"]
    channels: dict[str, Channel] = {}
    while time.monotonic() < stop_at:
        ids, token = claim(now(), batch, lease)
        if not ids:
            break
        counts["claimed"] += len(ids)
        for position, message_id in enumerate(ids):
            if now() >= token - margin or time.monotonic() >= stop_at:
                counts["released"] += _release(ids[position:], token)
                return counts | {"dead_total": dead_total()}
            counts[deliver(message_id, token, channels)] += 1
    return counts | {"dead_total": dead_total()}


def dead_total() -> int:
    """All dead messages, reported with every run so `flask jobs list` shows them until handled."""
    return db.session.execute(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "dead")
    ).scalar_one()


def retry_dead(message_id: int) -> OutboxMessage:
    """An admin fixed the cause (address, robot URL, server): give a dead message a fresh set of attempts."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound("未找到该通知", code="outbox_message_not_found")
    if message.status != "dead":
        raise Conflict("只有发送失败（dead）的通知可以重新发送", code="outbox_not_dead")
    message.status, message.attempts, message.next_attempt_at = "pending", 0, now()
    message.claimed_until = None
    db.session.flush()
    return message
