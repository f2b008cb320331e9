"""Retention: long-closed feedback loses what the reporter wrote, statistics keep what they need.

Two complaints go the whole way (photo, contact, question and answer, routing, report, close,
rating) with the clock frozen: one closed in March 2024, one in February 2026 over the Spring
Festival. The retention job then runs through the real runner 731 days after the first closing.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from feedback.jobs.runner import run_job
from feedback.models import (
    Event,
    Feedback,
    FeedbackContact,
    FeedbackTag,
    FeedbackTerm,
    IdempotencyRecord,
    JobRun,
    Message,
    StaffSession,
    Upload,
)
from feedback.services.admin.retention import PURGED_TEXT
from tests.support.api import STAFF, ok, submit
from tests.support.lifecycle import ask, handle_and_close

MP = "/api/mp/v1"
OLD_CLOSING = datetime(2024, 3, 4, 1, 30, tzinfo=UTC)  # Monday 09:30 China time
RECENT_CLOSING = OLD_CLOSING + timedelta(days=721)  # Monday 23 February 2026, end of the Spring Festival
RUN = OLD_CLOSING + timedelta(days=731)
COUNTS_ZERO = {
    "feedback_purged": 0,
    "messages_cleared": 0,
    "contacts_deleted": 0,
    "uploads_deleted": 0,
    "events_cleared": 0,
    "orphan_uploads_deleted": 0,
    "idempotency_deleted": 0,
    "sessions_deleted": 0,
    "job_runs_deleted": 0,
}


@pytest.fixture
def clock(app):
    clock = app.extensions["clock"]
    clock.freeze(OLD_CLOSING)
    return clock


def upload(client, headers, jpeg_bytes) -> str:
    import io

    reply = client.post(
        f"{MP}/uploads",
        data={"file": (io.BytesIO(jpeg_bytes()), "photo.jpg")},
        headers=headers,
        content_type="multipart/form-data",
    )
    return ok(reply, 201)["id"]


def handled_complaint(client, db, mp_login, jpeg_bytes) -> dict:
    """Submit with a photo and contact, answer a question, get it handled, closed and rated."""
    reporter = mp_login() | {"Idempotency-Key": str(uuid.uuid4())}
    photo = upload(client, reporter, jpeg_bytes)
    receipt, fid = submit(
        client, reporter, attachments=[photo], anonymous=False, contact={"name": "张三", "phone": "13800000000"}
    )
    ask(db, fid)
    answer = {"receipt": receipt, "body": "是县农业局发的通知"}
    ok(client.post(f"{MP}/feedback/messages", headers=reporter, json=answer), 201)
    handle_and_close(db, fid)
    ok(
        client.post(
            f"{MP}/feedback/rating",
            headers=reporter,
            json={"receipt": receipt, "rating": "satisfied", "comment": "会议少了，谢谢张科长"},
        )
    )
    stored = Path(client.application.config["UPLOAD_DIR"]) / db.session.get(Upload, photo).storage_name
    assert stored.exists()
    return {"receipt": receipt, "id": fid, "file": stored}


def count(db, model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def found(client, headers, query: str) -> set[int]:
    return {
        item["id"] for item in ok(client.get(f"{STAFF}/feedback", query_string={"q": query}, headers=headers))["items"]
    }


def snapshot(db, fid: int) -> dict:
    db.session.rollback()
    feedback = db.session.get(Feedback, fid)
    return {
        "content": feedback.content,
        "status": feedback.status,
        "kind": feedback.kind,
        "rating": feedback.rating,
        "rating_comment": feedback.rating_comment,
        "closed_at": feedback.closed_at,
        "purged_at": feedback.purged_at,
        "submitted_on": feedback.submitted_on,
        "tags": sorted(db.session.scalars(select(FeedbackTag.tag_id).where(FeedbackTag.feedback_id == fid))),
        "messages": list(
            db.session.scalars(select(Message.body).where(Message.feedback_id == fid).order_by(Message.id))
        ),
        "events": db.session.execute(
            select(Event.action, Event.reason, Event.data).where(Event.feedback_id == fid).order_by(Event.id)
        ).all(),
        "uploads": count(db, Upload, Upload.feedback_id == fid),
        "contacts": count(db, FeedbackContact, FeedbackContact.feedback_id == fid),
        "terms": count(db, FeedbackTerm, FeedbackTerm.feedback_id == fid),  # keywords of the content
    }


def retention_run(db) -> dict:
    run = run_job("retention")
    assert run.outcome == "success", run.error
    db.session.rollback()
    return run.counts


def test_retention_purges_long_closed_feedback_and_expired_rows_once(
    app, client, db, seeded, clock, mp_login, jpeg_bytes, staff_login
):
    old = handled_complaint(client, db, mp_login, jpeg_bytes)
    clock.freeze(RECENT_CLOSING)
    recent = handled_complaint(client, db, mp_login, jpeg_bytes)

    clock.freeze(RUN)
    abandoned = upload(client, mp_login(), jpeg_bytes)  # never submitted
    pending = upload(client, mp_login(), jpeg_bytes)  # the reporter may still submit it
    triage = staff_login("triage", username="zzb")
    user_id = db.session.scalar(select(StaffSession.user_id))
    # Uploads and console logins take their times from the system clock, so set them here.
    db.session.get(Upload, abandoned).created_at = RUN - timedelta(days=2)
    db.session.get(Upload, pending).created_at = RUN - timedelta(hours=1)
    db.session.add_all(
        [
            StaffSession(
                token_hash="a" * 64,
                user_id=user_id,
                created_at=OLD_CLOSING,
                last_seen_at=OLD_CLOSING,
                expires_at=OLD_CLOSING + timedelta(minutes=30),
            ),
            StaffSession(
                token_hash="b" * 64,
                user_id=user_id,
                created_at=RUN - timedelta(days=3),
                revoked=True,
                last_seen_at=RUN - timedelta(days=3),
                expires_at=RUN - timedelta(days=3),
            ),  # kept a week
            IdempotencyRecord(lookup="still-replayable", sealed=b"x", expires_at=RUN + timedelta(hours=3)),
            JobRun(job_id="outbox-sender", started_at=RUN - timedelta(days=100), outcome="success"),
            JobRun(job_id="outbox-sender", started_at=RUN - timedelta(days=10), outcome="success"),
        ]
    )
    db.session.commit()
    assert found(client, triage, "秸秆 陪会") == {old["id"], recent["id"]}
    before_old, before_recent = snapshot(db, old["id"]), snapshot(db, recent["id"])
    assert before_old["rating_comment"] == "会议少了，谢谢张科长" and before_old["contacts"] == 1
    assert any(reason == "已整改到位" for _, reason, _ in before_old["events"])

    counts = retention_run(db)
    assert counts == {
        **COUNTS_ZERO,
        "retention_days": 730,
        "feedback_purged": 1,
        "messages_cleared": 2,
        "contacts_deleted": 1,
        "uploads_deleted": 1,
        "events_cleared": counts["events_cleared"],
        "orphan_uploads_deleted": 1,
        "idempotency_deleted": 2,
        "sessions_deleted": 1,
        "job_runs_deleted": 1,
    }
    assert counts["events_cleared"] >= 3  # the close note, the rating comment, the report summary, …

    after = snapshot(db, old["id"])
    assert after["content"] == PURGED_TEXT and after["rating_comment"] is None and after["purged_at"] == RUN
    assert after["messages"] == [PURGED_TEXT, PURGED_TEXT]
    assert (after["uploads"], after["contacts"], after["terms"]) == (0, 0, 0) and not old["file"].exists()
    assert before_old["terms"] > 0
    # What statistics need is still there: kind, status, dates, rating, tags, one event per step.
    for key in ("status", "kind", "rating", "closed_at", "submitted_on", "tags"):
        assert after[key] == before_old[key], key
    assert after["tags"] and [a for a, _, _ in after["events"]] == [a for a, _, _ in before_old["events"]]
    assert all(reason is None for _, reason, _ in after["events"])
    notes = [data["reporter_note"] for _, _, data in after["events"] if data and "reporter_note" in data]
    assert notes and set(notes) == {PURGED_TEXT}
    assert found(client, triage, "秸秆 陪会") == {recent["id"]}
    tracked = ok(client.post(f"{MP}/feedback/track", json={"receipt": old["receipt"]}, headers=mp_login()))
    assert tracked["status"] == "closed" and "秸秆" not in str(tracked) and "农业局" not in str(tracked)

    assert snapshot(db, recent["id"]) == before_recent and recent["file"].exists()
    assert db.session.get(Upload, abandoned) is None and db.session.get(Upload, pending) is not None
    assert count(db, IdempotencyRecord) == 1 and count(db, StaffSession) == 2
    assert count(db, JobRun, JobRun.job_id == "outbox-sender") == 1
    assert ok(client.get(f"{STAFF}/feedback/{old['id']}", headers=triage))["content"] == PURGED_TEXT

    clock.advance(minutes=1)  # run again (an operator's run-once): nothing more to do, nothing changes
    assert retention_run(db) == {**COUNTS_ZERO, "retention_days": 730}
    assert snapshot(db, old["id"]) == after and snapshot(db, recent["id"]) == before_recent
    clock.advance(days=1)  # the next night the unused upload and the idempotency record are due
    assert retention_run(db) == {
        **COUNTS_ZERO,
        "retention_days": 730,
        "orphan_uploads_deleted": 1,
        "idempotency_deleted": 1,
    }
    assert snapshot(db, old["id"]) == after and snapshot(db, recent["id"]) == before_recent

    clock.advance(days=720)  # two years after the second closing, its turn comes
    later = retention_run(db)
    assert later["feedback_purged"] == 1 and not recent["file"].exists()
    assert snapshot(db, recent["id"])["content"] == PURGED_TEXT


def test_a_shorter_period_and_a_full_scan(app, db, seeded, clock, client, mp_login, jpeg_bytes):
    """RETENTION_DAYS is read at each run; ``--param full=1`` looks past the nightly window."""
    old = handled_complaint(client, db, mp_login, jpeg_bytes)
    clock.advance(days=31)
    app.config["RETENTION_DAYS"] = 30
    assert retention_run(db)["feedback_purged"] == 1
    assert snapshot(db, old["id"])["content"] == PURGED_TEXT

    clock.advance(days=1)
    restored = handled_complaint(client, db, mp_login, jpeg_bytes)
    feedback = db.session.get(Feedback, restored["id"])
    feedback.closed_at = OLD_CLOSING - timedelta(days=400)  # e.g. rows restored from an old backup
    db.session.commit()
    assert retention_run(db)["feedback_purged"] == 0  # before the window the nightly run reads
    run = run_job("retention", params={"full": "1"})
    assert run.outcome == "success" and run.counts["feedback_purged"] == 1


def test_rejected_and_merged_feedback_are_purged_too(app, db, seeded, clock, client, mp_login, staff_login):
    """Their handling ended without 办结; the period runs from the rejection or the merge."""
    triage = staff_login("triage", username="zzb")
    reporter = mp_login()
    _, kept = submit(client, reporter)
    _, duplicate = submit(client, reporter)
    _, off_topic = submit(client, reporter)
    ok(client.post(f"{STAFF}/feedback/{duplicate}/merge", headers=triage, json={"target_id": kept}))
    ok(client.post(f"{STAFF}/feedback/{off_topic}/reject", headers=triage, json={"reason": "不属于减负范围"}))
    clock.advance(days=731)
    assert retention_run(db)["feedback_purged"] == 2
    purged = {fid: snapshot(db, fid) for fid in (kept, duplicate, off_topic)}
    assert purged[duplicate]["content"] == PURGED_TEXT and purged[off_topic]["content"] == PURGED_TEXT
    assert purged[kept]["content"] != PURGED_TEXT  # still being handled: never purged
    assert (purged[duplicate]["status"], purged[off_topic]["status"]) == ("merged", "rejected")
