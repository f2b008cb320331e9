"""DESIGN §5: after a submission, nothing in the database or the logs ties it to the person.

The whole database is dumped and searched, and every log record captured during the
requests is searched, for the openid, the pseudonym, the client address, the user
agent, the device name in the photo's EXIF and the receipt.
"""

from __future__ import annotations

import io
import logging
import uuid

from sqlalchemy import select

from feedback.extensions import db as _db
from feedback.privacy import pseudonym
from feedback.services.keys import purpose_key

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
    upload = client.post("/api/mp/v1/uploads", data={"file": (io.BytesIO(photo), "p.jpg")},
                         headers=headers, content_type="multipart/form-data", environ_base=env)
    reply = client.post("/api/mp/v1/feedback", headers=headers, environ_base=env, json={
        "kind": "problem", "content": "区里各部门都用属地管理把整改任务推给街道，街道有责无权。",
        "attachments": [upload.get_json()["id"]]})
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
    for label, value in secrets_.items():
        assert value not in database, f"{label} found in the database"
        assert value not in logs, f"{label} found in the logs"
