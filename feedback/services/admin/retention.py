"""Retention: what the reporter wrote is kept only as long as it is needed.

Some time (``RETENTION_DAYS``) after a feedback is closed, its text, the messages exchanged
with the reporter, its images and contact details are removed, and free text in its history
(reasons, notes shown to the reporter) is blanked. What statistics need stays: the row with
kind, status, dates, region, observation point, tags, assignments and one event per step.
``purged_at`` marks the feedback, so it is done once.

Housekeeping of short-lived rows goes along: expired idempotency records, long-expired staff
sessions, images never attached to a feedback, and old job run records.

Everything is selected through an indexed time column and handled in batches; services never
commit, so the caller passes ``on_batch`` to commit after each batch. Image files are deleted
before that commit: if the commit then fails, the rows point at missing files of a feedback
that the next run purges anyway, which is better than files that outlive their rows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from feedback.extensions import db
from feedback.models import (
    Event,
    Feedback,
    FeedbackContact,
    IdempotencyRecord,
    JobRun,
    Message,
    ReportAttachment,
    StaffSession,
    Upload,
)
from feedback.services.admin.search import index_feedback
from feedback.services.dml import rows_affected
from feedback.services.intake.uploads import upload_root
from feedback.services.reporting import terms

log = logging.getLogger("feedback.retention")

PURGED_TEXT = "（已按保存期限清除）"
ORPHAN_UPLOAD_AGE = timedelta(days=1)  # an image not attached to a feedback within a day never will be
DEFAULT_BATCH = 200

OnBatch = Callable[[], None] | None


# Statuses in which handling has ended; closed_at records when.
ENDED = ("closed", "rejected", "merged")


def _batches(select_ids: Callable[[], list[Any]], handle: Callable[[list[Any]], None], on_batch: OnBatch) -> int:
    """Handle ids batch by batch until ``select_ids`` finds no more; returns how many."""
    done = 0
    while ids := select_ids():
        handle(ids)
        db.session.flush()
        done += len(ids)
        if on_batch is not None:
            on_batch()
    return done


# -- closed feedback ---------------------------------------------------------------------------


def purge_closed_feedback(
    now: datetime, *, days: int, since: datetime | None = None, batch: int = DEFAULT_BATCH, on_batch: OnBatch = None
) -> dict[str, int]:
    """Purge feedback closed before ``now - days`` and not yet purged.

    ``since`` bounds the scan from below (closed_at >= since): a caller that knows everything
    closed earlier is already purged passes it, so a nightly run reads only the newly due
    rows instead of every purged row of past years.
    """
    cutoff = now - timedelta(days=days)
    counts = dict.fromkeys(
        ("feedback_purged", "messages_cleared", "contacts_deleted", "uploads_deleted", "events_cleared"), 0
    )
    after: tuple[datetime, int] | None = None

    def select_ids() -> list[int]:
        nonlocal after
        stmt = sa.select(Feedback.id, Feedback.closed_at).where(
            Feedback.closed_at < cutoff, Feedback.purged_at.is_(None), Feedback.status.in_(ENDED)
        )
        if since is not None:
            stmt = stmt.where(Feedback.closed_at >= since)
        if after is not None:  # keyset: never re-read a row this run has already passed
            stmt = stmt.where(
                Feedback.closed_at >= after[0], sa.or_(Feedback.closed_at > after[0], Feedback.id > after[1])
            )
        rows = db.session.execute(stmt.order_by(Feedback.closed_at, Feedback.id).limit(batch)).all()
        if rows:
            after = (rows[-1].closed_at, rows[-1].id)
        return [row.id for row in rows]

    def handle(ids: list[int]) -> None:
        for key, value in _purge_feedback(ids, now).items():
            counts[key] += value

    counts["feedback_purged"] = _batches(select_ids, handle, on_batch)
    return counts


def _purge_feedback(ids: list[int], now: datetime) -> dict[str, int]:
    # updated_at is kept: purging is housekeeping, not a step in handling the feedback.
    db.session.execute(
        sa.update(Feedback)
        .where(Feedback.id.in_(ids))
        .values(content=PURGED_TEXT, rating_comment=None, purged_at=now, updated_at=Feedback.updated_at)
        .execution_options(synchronize_session="fetch")
    )
    terms.forget(ids)  # keywords of the content go with it
    messages_cleared = rows_affected(
        sa.update(Message)
        .where(Message.feedback_id.in_(ids), Message.body != PURGED_TEXT)
        .values(body=PURGED_TEXT)
        .execution_options(synchronize_session="fetch")
    )
    contacts_deleted = rows_affected(
        sa.delete(FeedbackContact)
        .where(FeedbackContact.feedback_id.in_(ids))
        .execution_options(synchronize_session="fetch")
    )
    uploads = list(db.session.scalars(sa.select(Upload).where(Upload.feedback_id.in_(ids))))
    _delete_uploads(uploads)
    for feedback_id in ids:
        index_feedback(feedback_id, "")
    return {
        "messages_cleared": messages_cleared,
        "contacts_deleted": contacts_deleted,
        "uploads_deleted": len(uploads),
        "events_cleared": _blank_events(ids),
    }


def _blank_events(feedback_ids: list[int]) -> int:
    """Drop free text from the history; the events themselves (who did what, when) stay."""
    rows = db.session.execute(
        sa.select(Event.id, Event.reason, Event.data).where(
            Event.feedback_id.in_(feedback_ids), sa.or_(Event.reason.is_not(None), Event.data.is_not(None))
        )
    ).all()
    changes = []
    for row in rows:
        data = dict(row.data) if isinstance(row.data, dict) else row.data
        note_blanked = isinstance(data, dict) and data.get("reporter_note") not in (None, PURGED_TEXT)
        if note_blanked:
            data["reporter_note"] = PURGED_TEXT
        if row.reason is not None or note_blanked:
            changes.append({"id": row.id, "reason": None, "data": data})
    if changes:
        db.session.execute(sa.update(Event), changes)  # bulk UPDATE by primary key
    return len(changes)


def _delete_uploads(uploads: Iterable[Upload]) -> int:
    root = upload_root()
    done = 0
    for upload in uploads:
        (root / upload.storage_name).unlink(missing_ok=True)
        db.session.delete(upload)
        done += 1
    return done


# -- short-lived rows --------------------------------------------------------------------------


def purge_orphan_uploads(now: datetime, *, batch: int = DEFAULT_BATCH, on_batch: OnBatch = None) -> int:
    """Images uploaded but never attached to a submitted feedback (the reporter gave up)."""
    cutoff = now - ORPHAN_UPLOAD_AGE

    def select_ids() -> list[str]:
        return list(
            db.session.scalars(
                sa.select(Upload.id).where(Upload.feedback_id.is_(None), Upload.created_at < cutoff).limit(batch)
            )
        )

    def handle(ids: list[str]) -> None:
        _delete_uploads(db.session.scalars(sa.select(Upload).where(Upload.id.in_(ids))))

    return _batches(select_ids, handle, on_batch)


def purge_orphan_report_attachments(now: datetime, *, batch: int = DEFAULT_BATCH, on_batch: OnBatch = None) -> int:
    """Report attachments a department uploaded but never attached to a submitted report."""
    cutoff = now - ORPHAN_UPLOAD_AGE

    def select_ids() -> list[str]:
        return list(
            db.session.scalars(
                sa.select(ReportAttachment.id)
                .where(ReportAttachment.report_id.is_(None), ReportAttachment.created_at < cutoff)
                .limit(batch)
            )
        )

    def handle(ids: list[str]) -> None:
        _delete_uploads(db.session.scalars(sa.select(ReportAttachment).where(ReportAttachment.id.in_(ids))))

    return _batches(select_ids, handle, on_batch)


def purge_idempotency_records(now: datetime) -> int:
    """Sealed replies past their expiry can no longer be replayed; the rows are only weight."""
    return rows_affected(
        sa.delete(IdempotencyRecord)
        .where(IdempotencyRecord.expires_at < now)
        .execution_options(synchronize_session=False)
    )


def purge_staff_sessions(now: datetime, *, keep_days: int) -> int:
    """Sessions that expired (a revoked one expires within the idle timeout) over ``keep_days`` ago."""
    return rows_affected(
        sa.delete(StaffSession)
        .where(StaffSession.expires_at < now - timedelta(days=keep_days))
        .execution_options(synchronize_session=False)
    )


def purge_job_runs(now: datetime, job_ids: Iterable[str], *, keep_days: int) -> int:
    """Old run records; one job at a time so the (job_id, started_at) index does the finding."""
    cutoff = now - timedelta(days=keep_days)
    deleted = 0
    for job_id in job_ids:
        deleted += rows_affected(
            sa.delete(JobRun)
            .where(JobRun.job_id == job_id, JobRun.started_at < cutoff)
            .execution_options(synchronize_session=False)
        )
    return deleted
