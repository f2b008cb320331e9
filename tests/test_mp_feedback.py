"""Submitting feedback from the mini-program: receipt, tags, validation, idempotency, limits."""

from __future__ import annotations

import io
import uuid

import pytest
from sqlalchemy import func, select

from feedback.models import Feedback, FeedbackContact, Upload

MEETING = "一些县市陪会现象依然存在，没有庄稼地的街道也要参加秸秆焚烧会议"


def submit(client, headers, **fields):
    body = {"kind": "problem", "content": MEETING} | fields
    return client.post("/api/mp/v1/feedback", json=body, headers=headers)


def test_submission_gets_receipt_and_tags(seeded, client, mp_login, db):
    reply = submit(client, mp_login())
    assert reply.status_code == 201
    body = reply.get_json()
    assert body["status"] == "submitted"
    assert body["status_label"] == "待研判"
    assert {"code": "peihui", "name": "陪会"} in body["tags"]
    assert len(body["receipt"].replace("-", "")) == 20
    assert "routing_suggestion" not in body and "suggestion" not in str(body)
    stored = db.session.scalar(select(Feedback))
    assert stored.content == MEETING
    assert stored.receipt_hash != body["receipt"] and body["receipt"] not in stored.receipt_hash
    tag = stored.tags[0]
    assert tag.matched and tag.score > 0 and tag.source == "auto"


def test_routing_suggestion_is_stored_for_triage(seeded, client, mp_login, db):
    submit(client, mp_login())
    suggestion = db.session.scalar(select(Feedback)).routing_suggestion
    assert suggestion is not None
    assert suggestion["path"] in {"direct", "escalate", "consult"}
    assert suggestion["rules"]


def test_observation_point_and_region(seeded, client, mp_login, db):
    from feedback.models import ObservationPoint

    point = db.session.scalars(select(ObservationPoint).order_by(ObservationPoint.code)).first()
    reply = submit(client, mp_login(), point_code=point.code, unit_level="village")
    assert reply.status_code == 201
    stored = db.session.scalar(select(Feedback))
    assert stored.point_id == point.id and stored.region_code == point.region_code


@pytest.mark.parametrize("code", ["490102", "490102001", "490103001002"])
def test_region_codes_of_the_sample_province_are_accepted(seeded, client, mp_login, db, code):
    reply = submit(client, mp_login(), region_code=code)
    assert reply.status_code == 201, reply.get_json()
    assert db.session.scalar(select(Feedback.region_code)) == code


@pytest.mark.parametrize(
    ("fields", "field", "fragment"),
    [
        ({"content": ""}, "content", "不能为空"),
        ({"content": "   "}, "content", "不能为空"),
        ({"content": "开会太多"}, "content", "太短"),
        ({"content": "会" * 3001}, "content", "不能超过 3000 个字"),
        ({"kind": "complaint"}, "kind", "problem"),
        ({"region_code": "99123"}, "region_code", "行政区划代码"),
        ({"region_code": "990101"}, "region_code", "行政区划代码"),
        ({"region_code": "410102"}, "region_code", "不在本平台服务的地区"),  # a real province, not served here
        ({"region_code": "000102"}, "region_code", "格式不正确"),
        ({"region_code": "４９０１０２"}, "region_code", "格式不正确"),
        ({"point_code": "NOPE-99"}, "point_code", "未找到该观测点"),
        ({"unit_level": "planet"}, "unit_level", "单位层级"),
        ({"contact": {"phone": "13800000000"}}, "contact", "匿名"),
        ({"attachments": ["0" * 32]}, "attachments", "附件"),
        ({"surprise": 1}, "surprise", "不支持的字段"),
    ],
)
def test_bad_input_gets_chinese_message_per_field(seeded, client, mp_login, db, fields, field, fragment):
    reply = submit(client, mp_login(), **fields)
    assert reply.status_code == 422
    body = reply.get_json()
    assert body["code"] == "validation_error"
    assert any(fragment in m for m in body["errors"][field]), body
    assert db.session.scalar(select(func.count()).select_from(Feedback)) == 0


def test_missing_kind_and_content(seeded, client, mp_login):
    reply = client.post("/api/mp/v1/feedback", json={}, headers=mp_login())
    errors = reply.get_json()["errors"]
    assert errors["kind"] == ["此项为必填项"] and errors["content"] == ["此项为必填项"]


def test_not_json_is_a_clear_error(seeded, client, mp_login):
    reply = client.post("/api/mp/v1/feedback", data="kind=problem", headers=mp_login())
    assert reply.status_code in (400, 415, 422)
    body = reply.get_json()
    assert body["message"] and "Traceback" not in str(body)


def test_contact_is_kept_apart_when_reporter_opts_in(seeded, client, mp_login, db):
    reply = submit(client, mp_login(), anonymous=False, contact={"name": "王", "phone": "0371-1234567"})
    assert reply.status_code == 201
    contact = db.session.scalar(select(FeedbackContact))
    assert contact.phone == "0371-1234567"
    assert "0371" not in db.session.scalar(select(Feedback)).content


def test_same_idempotency_key_gives_one_feedback_and_the_same_reply(seeded, client, mp_login, db):
    headers = mp_login() | {"Idempotency-Key": str(uuid.uuid4())}
    first = submit(client, headers)
    second = submit(client, headers)
    assert first.status_code == 201 and second.status_code == 200
    assert first.get_json() == second.get_json()
    assert db.session.scalar(select(func.count()).select_from(Feedback)) == 1
    other = submit(client, headers | {"Idempotency-Key": str(uuid.uuid4())})
    assert other.get_json()["receipt"] != first.get_json()["receipt"]


def test_idempotency_key_of_another_user_does_not_replay_their_receipt(seeded, client, mp_login, db):
    key = str(uuid.uuid4())
    mine = submit(client, mp_login("o-me") | {"Idempotency-Key": key})
    theirs = submit(client, mp_login("o-other") | {"Idempotency-Key": key})
    assert theirs.status_code == 201
    assert theirs.get_json()["receipt"] != mine.get_json()["receipt"]
    assert db.session.scalar(select(func.count()).select_from(Feedback)) == 2


def test_short_idempotency_key_is_refused(seeded, client, mp_login):
    reply = submit(client, mp_login() | {"Idempotency-Key": "1"})
    assert reply.status_code == 422
    assert "Idempotency-Key" in reply.get_json()["errors"]


def test_submissions_are_rate_limited_per_pseudonym(seeded, app, client, mp_login):
    app.config["RATE_LIMIT_SUBMIT"] = "2 per minute"
    alice, bob = mp_login("o-alice"), mp_login("o-bob")
    assert [submit(client, alice).status_code for _ in range(3)] == [201, 201, 429]
    limited = submit(client, alice)
    assert limited.get_json()["code"] == "rate_limited" and "稍后" in limited.get_json()["message"]
    assert submit(client, bob).status_code == 201
    assert submit(client, mp_login("o-alice")).status_code == 429  # a new login is the same pseudonym


def test_attachments_are_claimed_once(seeded, client, mp_login, db, jpeg_bytes):
    headers = mp_login()
    upload = client.post(
        "/api/mp/v1/uploads",
        data={"file": (io.BytesIO(jpeg_bytes()), "a.jpg")},
        headers=headers,
        content_type="multipart/form-data",
    )
    upload_id = upload.get_json()["id"]
    reply = submit(client, headers, attachments=[upload_id])
    assert reply.status_code == 201 and reply.get_json()["attachments"] == 1
    assert db.session.get(Upload, upload_id).feedback_id == db.session.scalar(select(Feedback.id))
    again = submit(client, headers, attachments=[upload_id])
    assert again.status_code == 422


def test_praise_without_burden_gets_no_tags(seeded, client, mp_login):
    reply = submit(
        client,
        mp_login(),
        kind="practice",
        content="我们村今年推行村级事务准入清单，干部下地入户的时间多了，群众很满意。",
    )
    assert reply.status_code == 201
    assert reply.get_json()["tags"] == []


def test_reusing_an_idempotency_key_for_another_complaint_is_refused_not_dropped(seeded, client, mp_login, db):
    headers = mp_login() | {"Idempotency-Key": str(uuid.uuid4())}
    first = submit(client, headers)
    assert first.status_code == 201
    other = submit(client, headers, content="每个月都要填写十几张内容重复的报表，耗费大量时间")
    assert other.status_code == 422
    body = other.get_json()
    assert body["code"] == "idempotency_key_reused" and "新的幂等键" in body["message"]
    assert "receipt" not in body and first.get_json()["receipt"] not in other.get_data(as_text=True)
    again = submit(client, headers)  # the true retry still replays the first answer
    assert again.status_code == 200 and again.get_json() == first.get_json()
    assert db.session.scalar(select(func.count()).select_from(Feedback)) == 1
