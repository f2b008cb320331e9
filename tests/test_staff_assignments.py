"""A department handles its assignment (交办单) in the staff console; the org department verifies.

Feedback is submitted through the mini-program API and routed by calling the routing service
directly, as the triage endpoints are tested elsewhere. The clock is frozen on Wednesday
2026-09-23, 09:30 China time; deadlines count Chinese working days (Mid-Autumn 09-25..27 and
National Day 10-01..07 off, Sun 09-20 and Sat 10-10 make-up workdays). ``db.session.rollback()``
before a check proves that the request committed what the check reads.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from feedback.models import Assignment, Event, ExtensionRequest, Feedback, RectificationReport
from tests.support.api import FORMS, MEETING, STAFF, WEDNESDAY_0930, cast, frozen, ok, route, submit, timeline

WED = WEDNESDAY_0930
END_OF = {  # end of a China-time day, as the API writes it (UTC)
    "09-24": "2026-09-24T16:00:00+00:00",
    "09-28": "2026-09-28T16:00:00+00:00",
    "10-21": "2026-10-21T16:00:00+00:00",
    "10-26": "2026-10-26T16:00:00+00:00",
    "11-04": "2026-11-04T16:00:00+00:00",
}


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def clock(app):
    return frozen(app, WED)


@pytest.fixture
def people(seeded, staff_login, mp_login):
    return cast(staff_login, mp_login, "triage", "viewer", "wb", "fb", "tj")


# ------------------------------------------------------------------------------- acknowledge, detail


def test_acknowledge_and_detail_shows_deadlines_but_nothing_identifying(client, db, people, clock):
    receipt, fid = submit(
        client,
        people["reporter"],
        anonymous=False,
        contact={"name": "张三", "phone": "13800000000", "note": "工作日可联系"},
    )
    clock.advance(hours=2)  # routed later the same day: the exact submission time must not show
    (aid,) = route(db, fid, "city-wb")
    detail = ok(client.get(f"{STAFF}/assignments/{aid}", headers=people["wb"]))
    assert detail["status"] == "pending" and detail["status_label"] == "待签收"
    assert detail["department"] == {"code": "city-wb", "name": "嵩阳市委办公室"}
    assert (detail["role"], detail["path"], detail["instructions"]) == ("primary", "direct", "请核实并整改")
    # 1, 2 and 15 working days after Wed 09-23, over Mid-Autumn and National Day.
    assert detail["acknowledge_due_at"] == END_OF["09-24"]
    assert detail["return_due_at"] == END_OF["09-28"]
    assert detail["due_at"] == END_OF["10-21"]
    assert (detail["due_state"], detail["working_days_left"]) == ("on_time", 15)
    assert detail["extension_requests"] == [] and detail["reports"] == []

    seen = detail["feedback"]
    assert set(seen) == {
        "id",
        "kind",
        "content",
        "tags",
        "submitted_on",
        "region_code",
        "point",
        "attachments",
        "waiting_for_reporter",
    }
    assert seen["id"] == fid and seen["content"] == MEETING and seen["submitted_on"] == "2026-09-23"
    assert {"code": "peihui", "name": "陪会"} in seen["tags"]
    text = str(detail)
    for secret in ("13800000000", "张三", "工作日可联系", "routing", "09:30", "01:30", receipt):
        assert secret not in text

    acked = ok(client.post(f"{STAFF}/assignments/{aid}/acknowledge", headers=people["wb"]))
    assert acked["status"] == "acknowledged" and acked["acknowledged_at"].startswith("2026-09-23T03:30")
    again = client.post(f"{STAFF}/assignments/{aid}/acknowledge", headers=people["wb"])
    assert again.status_code == 409
    assert again.get_json()["code"] == "invalid_state"
    assert "当前状态为“已签收”" in again.get_json()["message"] and "签收" in again.get_json()["message"]
    db.session.rollback()
    assert db.session.get(Assignment, aid).status == "acknowledged"
    actions = db.session.scalars(select(Event.action).where(Event.assignment_id == aid)).all()
    assert actions == ["acknowledge"]  # the refused second attempt left no trace
    assert [e["label"] for e in timeline(client, people["reporter"], receipt)][-1] == "部门已签收"


def test_viewer_reads_but_cannot_act_and_triage_cannot_acknowledge(client, db, people, clock):
    _, fid = submit(client, people["reporter"])
    (aid,) = route(db, fid, "city-wb")
    assert ok(client.get(f"{STAFF}/assignments/{aid}", headers=people["viewer"]))["id"] == aid
    assert ok(client.get(f"{STAFF}/assignments", headers=people["viewer"]))["total"] == 1
    for who in ("viewer", "triage"):
        reply = client.post(f"{STAFF}/assignments/{aid}/acknowledge", headers=people[who])
        assert reply.status_code == 403 and "无权" in reply.get_json()["message"]
    db.session.rollback()
    assert db.session.get(Assignment, aid).status == "pending"


def test_respond_before_acknowledging_is_refused_and_leaves_no_report(client, db, people, clock):
    _, fid = submit(client, people["reporter"])
    (aid,) = route(db, fid, "city-wb")
    reply = client.post(
        f"{STAFF}/assignments/{aid}/reports", headers=people["wb"], json={"measures": "已整改", "result": "已完成"}
    )
    assert reply.status_code == 409 and "当前状态为“待签收”" in reply.get_json()["message"]
    db.session.rollback()
    assert count(db, RectificationReport) == 0


# ------------------------------------------------------------------------------------------ return


def test_return_within_two_working_days_and_refused_after(client, db, people, clock):
    _, fid = submit(client, people["reporter"])
    wb, fb = route(db, fid, "city-wb", ("city-fb",))
    clock.freeze(datetime(2026, 9, 28, 14, 0, tzinfo=UTC))  # Mon 22:00 China time: the last day of the window
    returned = ok(
        client.post(
            f"{STAFF}/assignments/{fb}/return",
            headers=people["fb"],
            json={"reason": "会议由市委办通知，不属本部门职责"},
        )
    )
    assert returned["status"] == "returned" and returned["status_label"] == "已退回"
    assert returned["return_reason"] == "会议由市委办通知，不属本部门职责"
    db.session.rollback()
    assert db.session.get(Feedback, fid).status == "assigned"  # a cooperating return leaves the feedback routed

    clock.freeze(datetime(2026, 9, 29, 1, 0, tzinfo=UTC))  # Tue 09:00: window closed
    late = client.post(f"{STAFF}/assignments/{wb}/return", headers=people["wb"], json={"reason": "不属本部门职责"})
    assert late.status_code == 409
    assert late.get_json()["code"] == "return_window_closed" and "退回期限" in late.get_json()["message"]
    db.session.rollback()
    assert db.session.get(Assignment, wb).status == "pending"


def test_primary_return_sends_feedback_back_to_triage(client, db, people, clock):
    _, fid = submit(client, people["reporter"])
    (aid,) = route(db, fid, "city-fb")
    ok(client.post(f"{STAFF}/assignments/{aid}/acknowledge", headers=people["fb"]))
    ok(client.post(f"{STAFF}/assignments/{aid}/return", headers=people["fb"], json={"reason": "不属本部门职责"}))
    db.session.rollback()
    assert db.session.get(Feedback, fid).status == "submitted"
    blank = client.post(f"{STAFF}/assignments/{aid}/return", headers=people["fb"], json={"reason": "  "})
    assert blank.status_code == 422 and "退回理由不能为空" in str(blank.get_json()["errors"]["reason"])


# -------------------------------------------------------------------------------------- extensions


def test_extension_requested_approved_refused_and_capped(client, db, people, clock):
    receipt, fid = submit(client, people["reporter"])
    (aid,) = route(db, fid, "city-wb")
    ext = f"{STAFF}/assignments/{aid}/extensions"
    first = ok(client.post(ext, headers=people["wb"], json={"days": 3, "reason": "需协调多个县区核实"}), 201)
    assert first["status"] == "requested" and first["days"] == 3
    pending = client.post(ext, headers=people["wb"], json={"days": 1, "reason": "再申请"})
    assert pending.status_code == 409 and pending.get_json()["code"] == "extension_pending"

    queue = ok(client.get(f"{STAFF}/extensions", query_string={"status": "requested"}, headers=people["triage"]))
    assert queue["total"] == 1 and queue["items"][0]["id"] == first["id"]
    assert queue["items"][0]["department"]["code"] == "city-wb" and queue["items"][0]["due_at"] == END_OF["10-21"]

    decided = ok(
        client.post(
            f"{STAFF}/extensions/{first['id']}/decision",
            headers=people["triage"],
            json={"approve": True, "note": "同意"},
        )
    )
    # 3 working days after Wed 10-21: Thu 10-22, Fri 10-23, Mon 10-26.
    assert decided["status"] == "approved" and decided["due_at"] == END_OF["10-26"]
    assert decided["extension_days"] == 3
    twice = client.post(f"{STAFF}/extensions/{first['id']}/decision", headers=people["triage"], json={"approve": False})
    assert twice.status_code == 409 and twice.get_json()["code"] == "extension_decided"
    detail = ok(client.get(f"{STAFF}/assignments/{aid}", headers=people["wb"]))
    assert detail["due_at"] == END_OF["10-26"] and detail["extension_requests"][0]["status"] == "approved"
    assert any(
        i["label"] == "办理期限延长" and "2026-10-26" in i["note"]
        for i in timeline(client, people["reporter"], receipt)
    )

    second = ok(client.post(ext, headers=people["wb"], json={"days": 5, "reason": "还需时间"}), 201)
    refused = ok(
        client.post(
            f"{STAFF}/extensions/{second['id']}/decision",
            headers=people["triage"],
            json={"approve": False, "note": "理由不充分"},
        )
    )
    assert refused["status"] == "refused" and refused["due_at"] == END_OF["10-26"]
    assert refused["decision_note"] == "理由不充分"

    over = client.post(ext, headers=people["wb"], json={"days": 8, "reason": "还需时间"})
    assert over.status_code == 422
    assert "延期累计不能超过 10 个工作日（已延期 3 个）" in over.get_json()["errors"]["days"]
    last = ok(client.post(ext, headers=people["wb"], json={"days": 7, "reason": "最后一次"}), 201)
    ok(client.post(f"{STAFF}/extensions/{last['id']}/decision", headers=people["triage"], json={"approve": True}))
    detail = ok(client.get(f"{STAFF}/assignments/{aid}", headers=people["wb"]))
    # 7 more: 10-27, 10-28, 10-29, 10-30, 11-02, 11-03, 11-04.
    assert (detail["due_at"], detail["extension_days"]) == (END_OF["11-04"], 10)
    assert [r["status"] for r in detail["extension_requests"]] == ["approved", "refused", "approved"]
    assert ok(client.get(f"{STAFF}/extensions", headers=people["triage"]))["total"] == 0
    full = client.post(ext, headers=people["wb"], json={"days": 1, "reason": "再延一天"})
    assert full.status_code == 422 and "已延期 10 个" in str(full.get_json()["errors"])


def test_extension_input_is_checked_in_chinese(client, db, people, clock):
    _, fid = submit(client, people["reporter"])
    (aid,) = route(db, fid, "city-wb")
    for body, field in (
        ({"days": 0, "reason": "x"}, "days"),
        ({"days": "三", "reason": "x"}, "days"),
        ({"days": 2}, "reason"),
        ({"days": 2, "reason": "x", "extra": 1}, "extra"),
    ):
        reply = client.post(f"{STAFF}/assignments/{aid}/extensions", headers=people["wb"], json=body)
        assert reply.status_code == 422 and field in reply.get_json()["errors"], reply.get_json()
    bad = client.post(f"{STAFF}/extensions/1/decision", headers=people["triage"], json={})
    assert bad.status_code == 422 and bad.get_json()["errors"]["approve"] == ["此项为必填项"]
    db.session.rollback()
    assert count(db, ExtensionRequest) == 0


# ------------------------------------------------------------------------------ escalate, reports


def test_escalate_needs_upward_report_before_responding(client, db, people, clock):
    receipt, fid = submit(client, people["reporter"], FORMS)
    (aid,) = route(db, fid, "city-tj", path="escalate")
    ok(client.post(f"{STAFF}/assignments/{aid}/acknowledge", headers=people["tj"]))
    early = client.post(
        f"{STAFF}/assignments/{aid}/reports", headers=people["tj"], json={"measures": "已反映", "result": "等待答复"}
    )
    assert early.status_code == 409 and early.get_json()["code"] == "upward_report_missing"
    assert "向上级部门反映" in early.get_json()["message"]
    db.session.rollback()
    assert count(db, RectificationReport) == 0

    upward = ok(
        client.post(
            f"{STAFF}/assignments/{aid}/upward-report", headers=people["tj"], json={"reported_to": "中原省统计局"}
        )
    )
    assert upward["reported_upward_to"] == "中原省统计局"
    assert upward["reported_upward_at"].startswith("2026-09-23")
    report = ok(
        client.post(
            f"{STAFF}/assignments/{aid}/reports",
            headers=people["tj"],
            json={
                "measures": "已向省统计局书面反映重复填报问题",
                "result": "省统计局同意合并两张报表",
                "summary": "省统计局已同意合并重复报表",
            },
        ),
        201,
    )
    assert report["verdict"] == "pending" and report["summary"] == "省统计局已同意合并重复报表"
    labels = [i["label"] for i in timeline(client, people["reporter"], receipt)]
    assert labels[-2:] == ["已向上级部门反映", "部门已反馈整改情况"]


def test_upward_report_only_on_escalated_assignments(client, db, people, clock):
    _, fid = submit(client, people["reporter"])
    (aid,) = route(db, fid, "city-wb")
    ok(client.post(f"{STAFF}/assignments/{aid}/acknowledge", headers=people["wb"]))
    reply = client.post(
        f"{STAFF}/assignments/{aid}/upward-report", headers=people["wb"], json={"reported_to": "中原省委办公厅"}
    )
    assert reply.status_code == 409 and reply.get_json()["code"] == "not_escalated"


def test_send_back_then_respond_again_then_accept(client, db, people, clock):
    receipt, fid = submit(client, people["reporter"])
    (aid,) = route(db, fid, "city-wb")
    ok(client.post(f"{STAFF}/assignments/{aid}/acknowledge", headers=people["wb"]))
    first = ok(
        client.post(
            f"{STAFF}/assignments/{aid}/reports",
            headers=people["wb"],
            json={"measures": "电话提醒", "result": "已提醒"},
        ),
        201,
    )
    db.session.rollback()
    assert db.session.get(Feedback, fid).status == "responded"

    no_note = client.post(
        f"{STAFF}/reports/{first['id']}/verdict", headers=people["triage"], json={"verdict": "send_back"}
    )
    assert no_note.status_code == 422 and no_note.get_json()["errors"]["note"] == ["退回返工须写明理由"]
    bad = client.post(f"{STAFF}/reports/{first['id']}/verdict", headers=people["triage"], json={"verdict": "ok"})
    assert bad.status_code == 422 and "accept" in bad.get_json()["errors"]["verdict"][0]
    sent = ok(
        client.post(
            f"{STAFF}/reports/{first['id']}/verdict",
            headers=people["triage"],
            json={"verdict": "send_back", "note": "整改措施过于笼统，请出台书面规定"},
        )
    )
    assert sent["verdict"] == "sent_back"
    detail = ok(client.get(f"{STAFF}/assignments/{aid}", headers=people["wb"]))
    assert detail["status"] == "sent_back" and detail["status_label"] == "返工"
    assert detail["reports"][0]["verdict_note"] == "整改措施过于笼统，请出台书面规定"
    assert detail["due_state"] == "on_time"
    db.session.rollback()
    assert db.session.get(Feedback, fid).status == "assigned"

    second = ok(
        client.post(
            f"{STAFF}/assignments/{aid}/reports",
            headers=people["wb"],
            json={
                "measures": "印发精简会议通知",
                "result": "书面规定已印发",
                "summary": "已书面规定不得要求无关街道陪会",
            },
        ),
        201,
    )
    accepted = ok(
        client.post(
            f"{STAFF}/reports/{second['id']}/verdict",
            headers=people["triage"],
            json={"verdict": "accept", "note": "核实无误"},
        )
    )
    assert accepted["verdict"] == "accepted" and accepted["verdict_note"] == "核实无误"
    detail = ok(client.get(f"{STAFF}/assignments/{aid}", headers=people["wb"]))
    assert detail["status"] == "accepted" and detail["status_label"] == "已销号" and detail["due_state"] is None
    assert [r["verdict"] for r in detail["reports"]] == ["sent_back", "accepted"]

    again = client.post(f"{STAFF}/reports/{second['id']}/verdict", headers=people["triage"], json={"verdict": "accept"})
    assert again.status_code == 409 and again.get_json()["code"] == "report_verified"
    late = client.post(
        f"{STAFF}/assignments/{aid}/reports", headers=people["wb"], json={"measures": "m", "result": "r"}
    )
    assert late.status_code == 409 and "当前状态为“已销号”" in late.get_json()["message"]
    labels = [i["label"] for i in timeline(client, people["reporter"], receipt)]
    assert "组织部要求继续整改" in labels and "核实无误" not in str(timeline(client, people["reporter"], receipt))


def test_missing_ids_are_404(client, db, people, clock):
    for method, path, body, who in (
        ("GET", "/assignments/999999", None, "wb"),
        ("POST", "/extensions/999999/decision", {"approve": True}, "triage"),
        ("POST", "/reports/999999/verdict", {"verdict": "accept"}, "triage"),
        ("GET", "/assignments/99999999999999999999999", None, "triage"),
    ):
        reply = client.open(f"{STAFF}{path}", method=method, json=body, headers=people[who])
        assert reply.status_code == 404 and reply.get_json()["message"], path


# ------------------------------------------------------------------------------- list, traffic light


def _assign_at(db, clock, client, headers, moment: datetime, primary: str = "city-wb") -> int:
    clock.freeze(moment)
    _, fid = submit(client, headers)  # a fresh login each time: submissions are rate limited per person
    return route(db, fid, primary)[0]


def test_list_traffic_light_filters_sorting_and_paging(client, db, people, clock, mp_login):
    # Due (15 working days): Tue 09-01 -> Mon 09-21 (Sun 09-20 is a make-up workday); Wed 09-23 -> 10-21;
    # Fri 10-09 -> Thu 10-29 (Sat 10-10 counts); Sat 10-10 -> Fri 10-30.
    late = _assign_at(db, clock, client, mp_login(), datetime(2026, 9, 1, 1, 0, tzinfo=UTC))
    soon = _assign_at(db, clock, client, mp_login(), WED)
    later = _assign_at(db, clock, client, mp_login(), datetime(2026, 10, 9, 1, 0, tzinfo=UTC))
    latest = _assign_at(db, clock, client, mp_login(), datetime(2026, 10, 10, 1, 0, tzinfo=UTC))
    other = _assign_at(db, clock, client, mp_login(), WED, primary="city-fb")
    done = _assign_at(db, clock, client, mp_login(), datetime(2026, 9, 2, 1, 0, tzinfo=UTC))
    ok(client.post(f"{STAFF}/assignments/{done}/acknowledge", headers=people["wb"]))
    ok(
        client.post(f"{STAFF}/assignments/{done}/reports", headers=people["wb"], json={"measures": "m", "result": "r"}),
        201,
    )

    clock.freeze(datetime(2026, 10, 20, 1, 0, tzinfo=UTC))  # Tue 10-20, 09:00
    listing = ok(client.get(f"{STAFF}/assignments", headers=people["wb"]))
    assert listing["total"] == 5 and other not in [i["id"] for i in listing["items"]]
    assert [i["id"] for i in listing["items"]] == [late, done, soon, later, latest]  # due_at ascending
    lights = {i["id"]: (i["due_state"], i["working_days_left"]) for i in listing["items"]}
    assert lights == {
        late: ("overdue", -16),
        done: (None, None),
        soon: ("due_soon", 1),
        later: ("on_time", 7),
        latest: ("on_time", 8),
    }
    assert listing["items"][0]["due_at"] == "2026-09-21T16:00:00+00:00"
    assert listing["items"][2]["excerpt"].startswith("县里的秸秆焚烧会议")

    def ids(who: str, **query) -> list[int]:
        return [
            i["id"] for i in ok(client.get(f"{STAFF}/assignments", query_string=query, headers=people[who]))["items"]
        ]

    assert ids("wb", state="overdue") == [late]
    assert ids("wb", state="due_soon") == [soon]
    assert ids("wb", state="on_time") == [later, latest]
    assert ids("wb", status="responded") == [done]
    assert ids("wb", status="pending", state="on_time") == [later, latest]
    assert ids("triage", department="city-fb") == [other]
    assert ids("triage", state="due_soon") == [soon, other]
    assert ids("wb", department="city-fb") == []  # a handler never sees another department's
    page2 = ok(client.get(f"{STAFF}/assignments", query_string={"per_page": 2, "page": 2}, headers=people["wb"]))
    assert [i["id"] for i in page2["items"]] == [soon, later] and page2["total"] == 5 and page2["per_page"] == 2

    # The due_at ranges agree with the per-item light on every day, weekends and boundaries included.
    for day in range(14, 32):
        clock.freeze(datetime(2026, 10, day, 15, 59, 59, tzinfo=UTC))
        for state in ("on_time", "due_soon", "overdue"):
            for item in ok(client.get(f"{STAFF}/assignments", query_string={"state": state}, headers=people["triage"]))[
                "items"
            ]:
                assert item["due_state"] == state, (day, item)
        total = sum(
            ok(client.get(f"{STAFF}/assignments", query_string={"state": s}, headers=people["triage"]))["total"]
            for s in ("on_time", "due_soon", "overdue")
        )
        assert total == 5, day


@pytest.mark.parametrize(
    ("query", "field", "fragment"),
    [
        ({"per_page": 101}, "per_page", "1–100"),
        ({"page": 0}, "page", "页码"),
        ({"state": "red"}, "state", "on_time"),
        ({"status": "done"}, "status", "状态应为"),
        ({"department": "nowhere"}, "department", "未找到部门"),
    ],
)
def test_list_rejects_bad_filters_in_chinese(client, people, clock, query, field, fragment):
    reply = client.get(f"{STAFF}/assignments", query_string=query, headers=people["triage"])
    assert reply.status_code == 422
    assert any(fragment in m for m in reply.get_json()["errors"][field]), reply.get_json()


# ------------------------------------------------------------------ one department view, guard first

DEPARTMENT_VIEW = {
    "id",
    "kind",
    "content",
    "tags",
    "submitted_on",
    "region_code",
    "point",
    "attachments",
    "waiting_for_reporter",
}
NOT_FOR_DEPARTMENTS = {
    "unit_level",
    "rating",
    "rating_comment",
    "reopen_count",
    "route_path",
    "merged_into_id",
    "imposer_level",
    "routing_suggestion",
    "messages",
    "contact",
}


def test_a_handler_sees_the_same_department_view_through_the_feedback_and_the_assignment(client, db, people, clock):
    _, fid = submit(
        client,
        people["reporter"],
        unit_level="township",
        region_code="490103",
        anonymous=False,
        contact={"name": "张三", "phone": "13800000000"},
    )
    (aid,) = route(db, fid, "city-wb")
    through_feedback = ok(client.get(f"{STAFF}/feedback/{fid}", headers=people["wb"]))
    through_assignment = ok(client.get(f"{STAFF}/assignments/{aid}", headers=people["wb"]))["feedback"]

    assert set(through_assignment) == DEPARTMENT_VIEW
    assert {k: through_feedback[k] for k in DEPARTMENT_VIEW} == through_assignment
    assert not NOT_FOR_DEPARTMENTS & set(through_feedback)
    assert set(through_feedback) - DEPARTMENT_VIEW == {"kind_label", "status", "status_label", "excerpt", "assignments"}
    assert [a["id"] for a in through_feedback["assignments"]] == [aid]
    # The org department still reads the whole record.
    whole = ok(client.get(f"{STAFF}/feedback/{fid}", headers=people["triage"]))
    assert whole["unit_level"] == "township" and whole["contact"]["phone"] == "13800000000"


def test_routing_a_closed_feedback_to_an_unknown_department_answers_409_and_writes_nothing(client, db, people):
    _, fid = submit(client, people["reporter"])
    ok(client.post(f"{STAFF}/feedback/{fid}/reject", json={"reason": "不属于反映范围"}, headers=people["triage"]))
    events = count(db, Event)
    reply = client.post(
        f"{STAFF}/feedback/{fid}/route", json={"path": "direct", "primary": "no-such-dept"}, headers=people["triage"]
    )
    assert reply.status_code == 409 and reply.get_json()["code"] == "invalid_state", reply.get_json()
    db.session.rollback()
    assert count(db, Assignment) == 0 and count(db, Event) == events
    assert db.session.get(Feedback, fid).route_path is None
