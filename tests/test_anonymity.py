"""DESIGN §5: after a submission, nothing in the database or the logs ties it to the person.

The whole database is dumped and searched, and every log record captured during the
requests is searched, for the openid, the pseudonym, the client address, the user
agent, the device name in the photo's EXIF and the receipt.
"""

from __future__ import annotations

import io
import logging
import uuid
from datetime import UTC, datetime

from sqlalchemy import select

from feedback.extensions import db as _db
from feedback.models import Event, Feedback, FeedbackContact, IdempotencyRecord, Message, Upload
from feedback.privacy import pseudonym
from feedback.services.keys import purpose_key
from feedback.timeutil import CHINA

CLIENT_ADDR = "203.0.113.77"
USER_AGENT = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) MicroMessenger/8.0.50 DeviceTag-5a9c"


def _dump_database() -> str:
    chunks = []
    with _db.engine.connect() as conn:
        for table in _db.metadata.sorted_tables:
            for row in conn.execute(select(table)):
                chunks.append(repr(tuple(row)))
    return "\n".join(chunks)


def test_nothing_stored_or_logged_identifies_the_reporter(seeded, app, fake_wechat, caplog, jpeg_bytes):
    photo = jpeg_bytes(make_tag="PhoneOfAlice")  # built before capture: only the server's logs count
    caplog.set_level(logging.DEBUG)
    openid = f"oWx-{uuid.uuid4().hex}"
    env = {"REMOTE_ADDR": CLIENT_ADDR, "HTTP_USER_AGENT": USER_AGENT, "HTTP_X_FORWARDED_FOR": CLIENT_ADDR}
    client = app.test_client()
    login = client.post("/api/mp/v1/session", json={"code": fake_wechat.issue_code(openid)}, environ_base=env)
    headers = {"Authorization": f"Bearer {login.get_json()['token']}", "Idempotency-Key": str(uuid.uuid4())}
    upload = client.post(
        "/api/mp/v1/uploads",
        data={"file": (io.BytesIO(photo), "p.jpg")},
        headers=headers,
        content_type="multipart/form-data",
        environ_base=env,
    )
    reply = client.post(
        "/api/mp/v1/feedback",
        headers=headers,
        environ_base=env,
        json={
            "kind": "problem",
            "content": "区里各部门都用属地管理把整改任务推给街道，街道有责无权。",
            "attachments": [upload.get_json()["id"]],
        },
    )
    assert reply.status_code == 201
    receipt = reply.get_json()["receipt"]
    client.post("/api/mp/v1/feedback/track", json={"receipt": receipt}, headers=headers, environ_base=env)

    secrets_ = {
        "openid": openid,
        "pseudonym": pseudonym(purpose_key("pseudonym"), openid),
        "client address": CLIENT_ADDR,
        "user agent": "DeviceTag-5a9c",
        "photo device": "PhoneOfAlice",
        "receipt": receipt,
        "receipt (compact)": receipt.replace("-", ""),
    }
    database = _dump_database()
    assert "属地管理" in database  # the dump really holds the feedback
    logs = "\n".join(f"{r.name} {r.getMessage()}" for r in caplog.records)
    assert "/api/mp/v1/feedback" in logs  # the access log really ran
    from feedback.extensions import limiter

    store = "\n".join(limiter.storage.storage)  # the memory store's keys, as Redis would hold them
    assert "mp-submit-accepted/p-" in store  # the limiter really counted this person
    for label, value in secrets_.items():
        assert value not in database, f"{label} found in the database"
        assert value not in logs, f"{label} found in the logs"
        assert value not in store, f"{label} found in the rate-limit store"


def _is_local_midnight(moment) -> bool:
    local = moment.astimezone(CHINA)
    return (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0)


def test_what_a_reporter_does_is_stored_to_the_day_only(seeded, app, client, db, mp_login, jpeg_bytes):
    """Exact times could be matched against when a rate-limit store saw one person act (item 11)."""
    from tests.support.api import rate
    from tests.support.lifecycle import ask, handle_and_close

    clock = app.extensions["clock"]
    clock.freeze(datetime(2026, 9, 23, 3, 17, 42, 123456, tzinfo=UTC))  # 11:17:42 in Beijing
    headers = {**mp_login(), "Idempotency-Key": str(uuid.uuid4())}
    upload = client.post(
        "/api/mp/v1/uploads",
        data={"file": (io.BytesIO(jpeg_bytes()), "p.jpg")},
        headers=headers,
        content_type="multipart/form-data",
    ).get_json()
    reply = client.post(
        "/api/mp/v1/feedback",
        headers=headers,
        json={
            "kind": "problem",
            "content": "区里各部门都用属地管理把整改任务推给街道，街道有责无权。",
            "anonymous": False,
            "contact": {"name": "李", "phone": "13800000000"},
            "attachments": [upload["id"]],
        },
    )
    assert reply.status_code == 201
    receipt = reply.get_json()["receipt"]
    fid = db.session.scalar(select(Feedback.id))
    clock.advance(hours=2, minutes=3, seconds=5)
    ask(db, fid)
    clock.advance(minutes=41, seconds=7)
    assert (
        client.post(
            "/api/mp/v1/feedback/messages", headers=headers, json={"receipt": receipt, "body": "是区农业农村局的通知"}
        ).status_code
        == 201
    )
    db.session.remove()

    feedback = db.session.get(Feedback, fid)
    reporter_times = {
        "feedback.submitted_at": [feedback.submitted_at],
        "feedback.updated_at": [feedback.updated_at],
        "feedback_tags.created_at": [t.created_at for t in feedback.tags],
        "uploads.created_at": list(db.session.scalars(select(Upload.created_at))),
        "feedback_contacts.created_at": list(db.session.scalars(select(FeedbackContact.created_at))),
        "idempotency_records": [
            t for r in db.session.scalars(select(IdempotencyRecord)) for t in (r.created_at, r.expires_at)
        ],
        "events (reporter)": list(db.session.scalars(select(Event.created_at).where(Event.actor_type == "reporter"))),
        "messages (reporter)": list(
            db.session.scalars(select(Message.created_at).where(Message.direction == "from_reporter"))
        ),
    }
    for where, moments in reporter_times.items():
        assert moments, f"nothing in {where}: the test did not exercise it"
        for moment in moments:
            assert _is_local_midnight(moment), f"{where} keeps {moment.astimezone(CHINA)}"
    assert feedback.submitted_at == datetime(2026, 9, 22, 16, 0, tzinfo=UTC)  # 2026-09-23 00:00 Beijing
    assert feedback.submitted_on.isoformat() == "2026-09-23"
    # The staff's own steps keep their moment: the org department's question is at 13:20:47.
    question = db.session.scalar(select(Event).where(Event.actor_type == "staff"))
    assert question.created_at == datetime(2026, 9, 23, 5, 20, 47, 123456, tzinfo=UTC)

    handle_and_close(db, fid)
    clock.advance(hours=3)
    assert rate(client, headers, receipt, "satisfied").status_code == 200
    db.session.remove()
    assert _is_local_midnight(db.session.get(Feedback, fid).updated_at)
