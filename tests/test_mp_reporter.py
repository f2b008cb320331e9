"""The reporter, with the receipt alone: answers the org department's question and rates the outcome.

The org department's side (question, routing, verification, closing) is driven through the
services; the reporter's side goes through the mini-program API. The receipt is only ever in
the request body.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from feedback.models import Assignment, Feedback, Message
from feedback.privacy import generate_receipt
from tests.support.api import MP, STAFF, WEDNESDAY_0930, frozen, ok, rate, submit
from tests.support.lifecycle import ask, assign, handle_and_close


@pytest.fixture
def clock(app):
    return frozen(app, WEDNESDAY_0930)


@pytest.fixture
def reporter(seeded, mp_login):
    return mp_login()


def track(client, headers, receipt: str) -> dict:
    return ok(client.post(f"{MP}/feedback/track", json={"receipt": receipt}, headers=headers))


# ------------------------------------------------------------------------------------------ answer


def test_answer_resumes_handling_and_shifts_deadlines_by_the_paused_working_days(
    app, client, db, reporter, clock, staff_login
):
    receipt, fid = submit(client, reporter)
    assignment = assign(db, fid)
    aid = assignment.id
    assert assignment.due_at == datetime(2026, 10, 21, 16, 0, tzinfo=UTC)  # end of Wed 10-21
    ask(db, fid)
    before = track(client, reporter, receipt)
    assert before["status"] == "needs_info" and before["can_answer"] is True

    wb = staff_login("handler", department_code="city-wb")
    ok(client.post(f"{STAFF}/assignments/{aid}/acknowledge", headers=wb))
    blocked = client.post(f"{STAFF}/assignments/{aid}/reports", headers=wb, json={"measures": "m", "result": "r"})
    assert blocked.status_code == 409 and blocked.get_json()["code"] == "waiting_for_reporter"
    paused = ok(client.get(f"{STAFF}/assignments/{aid}", headers=wb))
    assert paused["feedback"]["waiting_for_reporter"] is True
    assert "请问是哪个部门" not in str(paused)  # the conversation stays with the org department

    clock.advance(days=5)  # Mon 09-28: Thu 09-24 and Mon 09-28 were working days spent waiting
    answered = ok(
        client.post(
            f"{MP}/feedback/messages", headers=reporter, json={"receipt": receipt, "body": "  是县农业农村局发的通知  "}
        ),
        201,
    )
    assert answered == {"status": "assigned", "status_label": "已交办", "answered_on": "2026-09-28"}

    db.session.rollback()
    shifted = db.session.get(Assignment, aid)
    assert shifted.due_at == datetime(2026, 10, 23, 16, 0, tzinfo=UTC)  # 10-21 + 2 working days
    assert shifted.return_due_at == datetime(2026, 9, 30, 16, 0, tzinfo=UTC)  # 09-28 + 09-29, 09-30
    feedback = db.session.get(Feedback, fid)
    assert feedback.status == "assigned" and feedback.paused_at is None
    after = track(client, reporter, receipt)
    assert [(m["direction"], m["body"]) for m in after["messages"]] == [
        ("to_reporter", "请问是哪个部门发的会议通知？"),
        ("from_reporter", "是县农业农村局发的通知"),
    ]
    assert after["timeline"][-1]["label"] == "您已补充情况" and after["can_answer"] is False
    assert ok(client.get(f"{STAFF}/assignments/{aid}", headers=wb))["due_at"] == "2026-10-23T16:00:00+00:00"

    again = client.post(f"{MP}/feedback/messages", headers=reporter, json={"receipt": receipt, "body": "补充一点"})
    assert again.status_code == 409 and again.get_json()["code"] == "invalid_state"
    assert "当前状态为“已交办”" in again.get_json()["message"]
    db.session.rollback()
    assert len(db.session.scalars(select(Message).where(Message.feedback_id == fid)).all()) == 2


def test_answer_without_a_question_is_refused(client, db, reporter, clock):
    receipt, _ = submit(client, reporter)
    reply = client.post(f"{MP}/feedback/messages", headers=reporter, json={"receipt": receipt, "body": "补充情况"})
    assert reply.status_code == 409 and "当前状态为“待研判”" in reply.get_json()["message"]


def test_answer_with_no_recorded_pause_is_a_conflict_not_a_crash(client, db, reporter, clock):
    """A needs_info row whose pause was lost (hand-edited data) cannot say how long the clock stood."""
    receipt, fid = submit(client, reporter)
    ask(db, fid)
    db.session.get(Feedback, fid).paused_at = None
    db.session.commit()
    reply = client.post(f"{MP}/feedback/messages", headers=reporter, json={"receipt": receipt, "body": "补充情况"})
    assert reply.status_code == 409 and reply.get_json()["code"] == "invalid_state"
    assert "不在等待补充情况" in reply.get_json()["message"]
    db.session.rollback()
    assert [m.direction for m in db.session.scalars(select(Message).where(Message.feedback_id == fid))] == [
        "to_reporter"
    ]


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ({"body": "   "}, "body", "答复内容不能为空"),
        ({"body": "长" * 3001}, "body", "不能超过 3000 个字"),
        ({}, "body", "此项为必填项"),
        ({"body": "x", "contact": "13800000000"}, "contact", "不支持的字段"),
    ],
)
def test_answer_input_is_checked_in_chinese(client, db, reporter, clock, body, field, fragment):
    receipt, fid = submit(client, reporter)
    ask(db, fid)
    reply = client.post(f"{MP}/feedback/messages", headers=reporter, json={"receipt": receipt} | body)
    assert reply.status_code == 422
    assert any(fragment in m for m in reply.get_json()["errors"][field]), reply.get_json()


@pytest.mark.parametrize("endpoint", ["messages", "rating"])
def test_unknown_receipt_is_404_like_tracking_and_no_faster(app, client, reporter, clock, endpoint):
    floor = app.config["TRACK_MIN_SECONDS"]
    tracked = client.post(f"{MP}/feedback/track", json={"receipt": generate_receipt()}, headers=reporter)
    for candidate in (generate_receipt(), "rubbish"):
        body = {"receipt": candidate, "body": "补充", "rating": "satisfied"}
        body.pop("rating" if endpoint == "messages" else "body")
        started = time.monotonic()
        reply = client.post(f"{MP}/feedback/{endpoint}", json=body, headers=reporter)
        assert time.monotonic() - started >= floor
        assert reply.status_code == 404
        assert (reply.get_json()["code"], reply.get_json()["message"]) == (
            tracked.get_json()["code"],
            tracked.get_json()["message"],
        )


@pytest.mark.parametrize("endpoint", ["messages", "rating"])
def test_reporter_calls_are_rate_limited_like_tracking(app, client, reporter, clock, endpoint):
    app.config["RATE_LIMIT_TRACK"] = "3 per minute"
    body = {"body": "补充"} if endpoint == "messages" else {"rating": "satisfied"}
    codes = [
        client.post(
            f"{MP}/feedback/{endpoint}", json={"receipt": generate_receipt()} | body, headers=reporter
        ).status_code
        for _ in range(4)
    ]
    assert codes == [404, 404, 404, 429]


def test_reporter_calls_need_the_mini_program_token(client, reporter, clock):
    for endpoint in ("messages", "rating"):
        reply = client.post(f"{MP}/feedback/{endpoint}", json={"receipt": generate_receipt(), "rating": "satisfied"})
        assert reply.status_code == 401


# ------------------------------------------------------------------------------------------ rating


def test_rating_before_close_is_refused(client, db, reporter, clock):
    receipt, fid = submit(client, reporter)
    assign(db, fid)
    reply = rate(client, reporter, receipt, "satisfied")
    assert reply.status_code == 409 and "当前状态为“已交办”" in reply.get_json()["message"]
    db.session.rollback()
    assert db.session.get(Feedback, fid).rating is None


def test_unsatisfied_reopens_once_then_only_records_the_rating(client, db, reporter, clock):
    receipt, fid = submit(client, reporter)
    handle_and_close(db, fid)
    assert track(client, reporter, receipt)["can_rate"] is True

    no_reason = rate(client, reporter, receipt, "unsatisfied")
    assert no_reason.status_code == 422 and no_reason.get_json()["errors"]["comment"] == ["请说明不满意的原因"]
    blank = rate(client, reporter, receipt, "unsatisfied", "   ")
    assert blank.status_code == 422

    first = ok(rate(client, reporter, receipt, "unsatisfied", "通知发了，但上周还是被叫去开会"))
    assert first == {"reopened": True, "status": "submitted", "status_label": "待研判"}
    db.session.rollback()
    feedback = db.session.get(Feedback, fid)
    assert (feedback.status, feedback.reopen_count, feedback.closed_at) == ("submitted", 1, None)
    assert (feedback.rating, feedback.rating_comment) == ("unsatisfied", "通知发了，但上周还是被叫去开会")
    shown = track(client, reporter, receipt)
    assert shown["timeline"][-1]["label"] == "重新办理" and shown["status_label"] == "待研判"

    clock.advance(days=1)
    handle_and_close(db, fid)
    assert track(client, reporter, receipt)["can_rate"] is True  # the new closure is rated afresh
    second = ok(rate(client, reporter, receipt, "unsatisfied", "还是没有改变"))
    assert second == {"reopened": False, "status": "closed", "status_label": "已办结"}
    db.session.rollback()
    feedback = db.session.get(Feedback, fid)
    assert (feedback.status, feedback.reopen_count, feedback.rating_comment) == ("closed", 1, "还是没有改变")
    labels = [i["label"] for i in track(client, reporter, receipt)["timeline"]]
    assert labels.count("重新办理") == 1 and labels[-1] == "已评价"
    assert track(client, reporter, receipt)["can_rate"] is False


def test_basically_satisfied_rating_is_recorded(client, db, reporter, clock):
    receipt, fid = submit(client, reporter)
    handle_and_close(db, fid)
    assert ok(rate(client, reporter, receipt, "basically_satisfied")) == {
        "reopened": False,
        "status": "closed",
        "status_label": "已办结",
    }
    db.session.rollback()
    assert db.session.get(Feedback, fid).rating == "basically_satisfied"
    shown = track(client, reporter, receipt)
    assert shown["timeline"][-1]["note"] == "您的评价：基本满意"
    assert shown["can_rate"] is False  # rated: the app must not offer a button that answers 409
    assert rate(client, reporter, receipt, "satisfied").status_code == 409


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ({"rating": "great"}, "rating", "评价应为"),
        ({"rating": "unsatisfied", "comment": "差" * 501}, "comment", "不超过 500 个字"),
        ({}, "rating", "此项为必填项"),
    ],
)
def test_bad_rating_is_422_in_chinese(client, db, reporter, clock, body, field, fragment):
    receipt, fid = submit(client, reporter)
    handle_and_close(db, fid)
    reply = client.post(f"{MP}/feedback/rating", json={"receipt": receipt} | body, headers=reporter)
    assert reply.status_code == 422
    assert any(fragment in m for m in reply.get_json()["errors"][field]), reply.get_json()
    db.session.rollback()
    assert db.session.get(Feedback, fid).status == "closed"
