"""A complaint travels from the cadre to departments and back, through every path.

Each test drives the HTTP APIs only, as the mini-program and the console would,
with a frozen clock so the working-day deadlines are exact. Runs on SQLite and
on PostgreSQL (TEST_DATABASE_URL).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tests.support.api import cast, frozen, ok

MP = "/api/mp/v1"
STAFF = "/api/staff/v1"
MEETING = "县里的秸秆焚烧会议要求每个街道书记都去陪会，我们街道根本没有庄稼地，一个月被叫去三次。"
FORMS = "省统计局的报表系统每月要求乡镇重复填报同一批数据，报表台账越来越多，干部天天加班填表。"
CHECKS = "这个月市里五个部门轮番来检查，每次都要准备台账材料迎检，还要求拍照留痕。"


@pytest.fixture
def clock(app):
    # Wednesday 2026-09-23, 21:30 China time: late in the day still counts as that day.
    return frozen(app, datetime(2026, 9, 23, 13, 30, tzinfo=UTC))


@pytest.fixture
def people(seeded, staff_login, mp_login):
    return cast(staff_login, mp_login, "triage", "wb", "fb", "tj", "yjgl", reporter="o-cadre")


def submit(client, people, content=MEETING, **extra) -> tuple[str, int]:
    body = ok(
        client.post(f"{MP}/feedback", json={"kind": "problem", "content": content} | extra, headers=people["reporter"]),
        201,
    )
    inbox = ok(
        client.get(
            f"{STAFF}/feedback", query_string={"status": "submitted", "order": "newest"}, headers=people["triage"]
        )
    )
    return body["receipt"], inbox["items"][0]["id"]


def timeline(client, people, receipt) -> list[str]:
    body = ok(client.post(f"{MP}/feedback/track", json={"receipt": receipt}, headers=people["reporter"]))
    return [item["label"] for item in body["timeline"]]


def assignment_of(client, headers) -> dict:
    items = ok(client.get(f"{STAFF}/assignments", headers=headers))["items"]
    assert len(items) == 1, items
    return items[0]


def test_direct_path_with_deadline_over_national_day(client, people, clock):
    receipt, fid = submit(client, people)
    detail = ok(client.get(f"{STAFF}/feedback/{fid}", headers=people["triage"]))
    assert detail["routing_suggestion"]["primary"]["code"] == "city-wb"
    routed = ok(
        client.post(
            f"{STAFF}/feedback/{fid}/route",
            headers=people["triage"],
            json={
                "path": "direct",
                "primary": "city-wb",
                "cooperating": ["city-fb"],
                "instructions": "请核查会议通知范围",
            },
        )
    )
    assert routed["status"] == "assigned"
    primary = next(a for a in routed["assignments"] if a["role"] == "primary")
    # 15 working days after Wed 09-23: 09-24, 09-28, 09-29, 09-30 (Mid-Autumn 09-25..27 off), National Day
    # 10-01..07 off, 10-08, 10-09, Sat 10-10 (调休 workday), 10-12..16, 10-19, 10-20, 10-21 -> end of Wed 10-21.
    assert primary["due_at"] == "2026-10-21T16:00:00+00:00"
    assert primary["due_state"] == "on_time"

    wb = assignment_of(client, people["wb"])
    ok(client.post(f"{STAFF}/assignments/{wb['id']}/acknowledge", headers=people["wb"]))
    fb = assignment_of(client, people["fb"])
    ok(client.post(f"{STAFF}/assignments/{fb['id']}/acknowledge", headers=people["fb"]))
    clock.advance(days=10)
    ok(
        client.post(
            f"{STAFF}/assignments/{fb['id']}/reports",
            headers=people["fb"],
            json={"measures": "配合梳理全市涉农会议通知", "result": "已提出精简建议"},
        ),
        201,
    )
    report = ok(
        client.post(
            f"{STAFF}/assignments/{wb['id']}/reports",
            headers=people["wb"],
            json={
                "measures": "清理涉农会议参会范围，无农业任务的街道不再参会",
                "result": "已印发通知",
                "summary": "今后无农业任务的街道不再参加秸秆焚烧会议",
            },
        ),
        201,
    )
    assert ok(client.get(f"{STAFF}/feedback/{fid}", headers=people["triage"]))["status"] == "responded"
    ok(
        client.post(
            f"{STAFF}/reports/{report['id']}/verdict",
            headers=people["triage"],
            json={"verdict": "accept", "note": "核实无误"},
        )
    )
    fb_report = ok(client.get(f"{STAFF}/assignments/{fb['id']}", headers=people["triage"]))["reports"][0]
    ok(client.post(f"{STAFF}/reports/{fb_report['id']}/verdict", headers=people["triage"], json={"verdict": "accept"}))
    closed = ok(client.post(f"{STAFF}/feedback/{fid}/close", headers=people["triage"], json={"note": "已整改到位"}))
    assert closed["status"] == "closed"

    track = ok(client.post(f"{MP}/feedback/track", json={"receipt": receipt}, headers=people["reporter"]))
    assert [i["label"] for i in track["timeline"]] == [
        "已收到您的反映",
        "已交办",
        "部门已签收",
        "部门已签收",
        "部门已反馈整改情况",
        "部门已反馈整改情况",
        "已办结",
    ]
    notes = " ".join(i["note"] or "" for i in track["timeline"])
    assert "嵩阳市委办公室" in notes and "不再参加秸秆焚烧会议" in notes
    assert "zzb-triage" not in str(track) and "核实无误" not in str(track)  # no staff names, no internal notes
    assert track["timeline"][1]["on"] == "2026-09-23"


def test_escalate_path_records_upward_report(client, people, clock):
    receipt, fid = submit(client, people, FORMS, imposer_level="province")
    suggestion = ok(client.get(f"{STAFF}/feedback/{fid}", headers=people["triage"]))["routing_suggestion"]
    assert suggestion["path"] == "escalate" and suggestion["primary"]["code"] == "city-tj"
    bad = client.post(
        f"{STAFF}/feedback/{fid}/route", headers=people["triage"], json={"path": "escalate", "primary": "prov-tj"}
    )
    assert bad.status_code == 422 and "市级部门" in str(bad.get_json()["errors"])
    ok(
        client.post(
            f"{STAFF}/feedback/{fid}/route", headers=people["triage"], json={"path": "escalate", "primary": "city-tj"}
        )
    )
    tj = assignment_of(client, people["tj"])
    assert tj["path"] == "escalate"
    ok(client.post(f"{STAFF}/assignments/{tj['id']}/acknowledge", headers=people["tj"]))
    early = client.post(
        f"{STAFF}/assignments/{tj['id']}/reports", headers=people["tj"], json={"measures": "m", "result": "r"}
    )
    assert early.status_code == 409 and "向上级" in early.get_json()["message"]
    ok(
        client.post(
            f"{STAFF}/assignments/{tj['id']}/upward-report", headers=people["tj"], json={"reported_to": "中原省统计局"}
        )
    )
    report = ok(
        client.post(
            f"{STAFF}/assignments/{tj['id']}/reports",
            headers=people["tj"],
            json={
                "measures": "已向省统计局书面反映重复填报问题",
                "result": "省统计局同意合并两张报表",
                "summary": "省统计局已同意合并重复报表",
            },
        ),
        201,
    )
    ok(client.post(f"{STAFF}/reports/{report['id']}/verdict", headers=people["triage"], json={"verdict": "accept"}))
    ok(client.post(f"{STAFF}/feedback/{fid}/close", headers=people["triage"], json={}))
    labels = timeline(client, people, receipt)
    assert labels == [
        "已收到您的反映",
        "已转市直部门向上反映",
        "部门已签收",
        "已向上级部门反映",
        "部门已反馈整改情况",
        "已办结",
    ]


def test_consult_path_two_items_then_assigned_from_outcome(client, people, clock):
    receipt_a, fid_a = submit(client, people, CHECKS)
    receipt_b, fid_b = submit(client, people, "各部门督查检查考核太多，一周接待三拨检查组，还要求准备迎检材料。")
    consultation = ok(
        client.post(
            f"{STAFF}/consultations",
            headers=people["triage"],
            json={
                "title": "关于多头检查问题的集中会商",
                "feedback_ids": [fid_a, fid_b],
                "departments": ["city-wb", "city-fb", "city-yjgl"],
                "scheduled_on": "2026-09-25",
            },
        ),
        201,
    )
    assert ok(client.get(f"{STAFF}/feedback/{fid_a}", headers=people["triage"]))["status"] == "in_consultation"
    missing = client.post(
        f"{STAFF}/consultations/{consultation['id']}/outcome",
        headers=people["triage"],
        json={
            "held_on": "2026-09-28",
            "attendees": ["市委办 张某"],
            "outcome": "统筹检查",
            "assignments": [{"feedback_id": fid_a, "primary": "city-wb"}],
        },
    )
    assert missing.status_code == 422
    clock.advance(days=5)  # Mon 2026-09-28, China time
    held = ok(
        client.post(
            f"{STAFF}/consultations/{consultation['id']}/outcome",
            headers=people["triage"],
            json={
                "held_on": "2026-09-28",
                "attendees": ["市委办", "市政府办", "市应急管理局"],
                "outcome": "由市委办统筹年度检查计划，应急管理局配合合并安全检查",
                "assignments": [
                    {"feedback_id": fid_a, "primary": "city-wb", "cooperating": ["city-yjgl"]},
                    {"feedback_id": fid_b, "primary": "city-wb"},
                ],
            },
        )
    )
    assert held["status"] == "held" and held["feedback_ids"] == sorted([fid_a, fid_b])
    detail = ok(client.get(f"{STAFF}/feedback/{fid_a}", headers=people["triage"]))
    primary = next(a for a in detail["assignments"] if a["role"] == "primary")
    assert primary["path"] == "consult"
    # 20 working days after Mon 09-28: 09-29, 09-30, 10-08, 10-09, 10-10 (调休), 10-12..16, 10-19..23,
    # 10-26..30 -> end of Fri 10-30.
    assert primary["due_at"] == "2026-10-30T16:00:00+00:00"
    assert timeline(client, people, receipt_b) == ["已收到您的反映", "提交集中会商", "按会商结果交办"]


def test_return_send_back_question_and_reopen(client, people, clock):
    receipt, fid = submit(client, people)
    ok(
        client.post(
            f"{STAFF}/feedback/{fid}/route", headers=people["triage"], json={"path": "direct", "primary": "city-fb"}
        )
    )
    fb = assignment_of(client, people["fb"])
    ok(
        client.post(
            f"{STAFF}/assignments/{fb['id']}/return",
            headers=people["fb"],
            json={"reason": "会议由市委办通知，不属本部门职责"},
        )
    )
    back = ok(client.get(f"{STAFF}/feedback/{fid}", headers=people["triage"]))
    assert back["status"] == "submitted"
    ok(
        client.post(
            f"{STAFF}/feedback/{fid}/route", headers=people["triage"], json={"path": "direct", "primary": "city-wb"}
        )
    )
    wb = assignment_of(client, people["wb"])
    ok(client.post(f"{STAFF}/assignments/{wb['id']}/acknowledge", headers=people["wb"]))

    # The org department asks the reporter; the clock stops until the answer (3 working days later).
    ok(
        client.post(
            f"{STAFF}/feedback/{fid}/questions",
            headers=people["triage"],
            json={"question": "请问是哪个部门发的会议通知？"},
        )
    )
    track = ok(client.post(f"{MP}/feedback/track", json={"receipt": receipt}, headers=people["reporter"]))
    assert track["status"] == "needs_info" and track["messages"][0]["body"] == "请问是哪个部门发的会议通知？"
    due_before = ok(client.get(f"{STAFF}/assignments/{wb['id']}", headers=people["wb"]))["due_at"]
    clock.advance(days=5)  # Mon 09-28 China time: 09-24, 09-28 are working days in the pause (09-25..27 off)
    ok(
        client.post(
            f"{MP}/feedback/messages",
            json={"receipt": receipt, "body": "是县农业农村局发的通知"},
            headers=people["reporter"],
        ),
        201,
    )
    after = ok(client.get(f"{STAFF}/assignments/{wb['id']}", headers=people["wb"]))
    assert (due_before, after["due_at"]) == ("2026-10-21T16:00:00+00:00", "2026-10-23T16:00:00+00:00")
    assert ok(client.get(f"{STAFF}/feedback/{fid}", headers=people["triage"]))["status"] == "assigned"

    report = ok(
        client.post(
            f"{STAFF}/assignments/{wb['id']}/reports",
            headers=people["wb"],
            json={"measures": "电话提醒", "result": "已提醒"},
        ),
        201,
    )
    ok(
        client.post(
            f"{STAFF}/reports/{report['id']}/verdict",
            headers=people["triage"],
            json={"verdict": "send_back", "note": "整改措施过于笼统，请出台书面规定"},
        )
    )
    assert ok(client.get(f"{STAFF}/feedback/{fid}", headers=people["triage"]))["status"] == "assigned"
    report = ok(
        client.post(
            f"{STAFF}/assignments/{wb['id']}/reports",
            headers=people["wb"],
            json={
                "measures": "印发精简会议通知",
                "result": "书面规定已印发",
                "summary": "已书面规定不得要求无关街道陪会",
            },
        ),
        201,
    )
    ok(client.post(f"{STAFF}/reports/{report['id']}/verdict", headers=people["triage"], json={"verdict": "accept"}))
    ok(client.post(f"{STAFF}/feedback/{fid}/close", headers=people["triage"], json={}))

    reopened = ok(
        client.post(
            f"{MP}/feedback/rating",
            headers=people["reporter"],
            json={"receipt": receipt, "rating": "unsatisfied", "comment": "通知发了，但上周还是被叫去开会"},
        )
    )
    assert reopened["reopened"] is True
    detail = ok(client.get(f"{STAFF}/feedback/{fid}", headers=people["triage"]))
    assert detail["status"] == "submitted" and detail["reopen_count"] == 1
    assert detail["rating_comment"] == "通知发了，但上周还是被叫去开会"
    labels = timeline(client, people, receipt)
    assert labels[-1] == "重新办理" and "组织部要求继续整改" in labels and "组织部请您补充情况" in labels
    history = ok(client.get(f"{STAFF}/feedback/{fid}/events", headers=people["triage"]))
    actions = [e["action"] for e in history]
    assert actions.count("assign") == 2 and "return" in actions and "returned_to_triage" in actions


def test_reject_shows_reason_and_merge_points_to_kept_one(client, people, clock):
    receipt_a, fid_a = submit(client, people)
    receipt_b, fid_b = submit(client, people, "街道没有庄稼地也被要求参加秸秆焚烧会议陪会，希望减少这类会议。")
    ok(client.post(f"{STAFF}/feedback/{fid_b}/merge", headers=people["triage"], json={"target_id": fid_a}))
    track_b = ok(client.post(f"{MP}/feedback/track", json={"receipt": receipt_b}, headers=people["reporter"]))
    assert track_b["status"] == "merged" and track_b["merged_into"]["status"] == "submitted"
    receipt_c, fid_c = submit(client, people, "建议我们单位食堂增加晚餐供应时间，方便加班同事。")
    ok(
        client.post(
            f"{STAFF}/feedback/{fid_c}/reject",
            headers=people["triage"],
            json={"reason": "不属于基层减负反映范围，请通过单位内部渠道反映"},
        )
    )
    track_c = ok(client.post(f"{MP}/feedback/track", json={"receipt": receipt_c}, headers=people["reporter"]))
    assert track_c["status_label"] == "不予受理"
    assert track_c["timeline"][-1]["note"] == "不属于基层减负反映范围，请通过单位内部渠道反映"
    again = client.post(
        f"{STAFF}/feedback/{fid_c}/route", headers=people["triage"], json={"path": "direct", "primary": "city-wb"}
    )
    assert again.status_code == 409 and "不予受理" in again.get_json()["message"]


def test_retag_is_recorded_and_inbox_filters(client, people, clock):
    _, fid_a = submit(client, people)
    _, fid_b = submit(client, people, FORMS)
    ok(
        client.post(
            f"{STAFF}/feedback/{fid_b}/tags",
            headers=people["triage"],
            json={"tags": ["tianbao", "dujiankao"], "note": "补充督检考"},
        )
    )
    tags = ok(client.get(f"{STAFF}/feedback/{fid_b}", headers=people["triage"]))["tags"]
    assert {t["code"] for t in tags} == {"tianbao", "dujiankao"}
    assert next(t for t in tags if t["code"] == "dujiankao")["source"] == "staff"
    event = ok(client.get(f"{STAFF}/feedback/{fid_b}/events", headers=people["triage"]))[-1]
    assert event["action"] == "retag" and event["data"]["after"] == ["tianbao", "dujiankao"]

    def ids(**query):
        return [
            i["id"] for i in ok(client.get(f"{STAFF}/feedback", query_string=query, headers=people["triage"]))["items"]
        ]

    assert ids(tag="dujiankao") == [fid_b]
    assert ids(order="oldest") == [fid_a, fid_b]
    assert ids(per_page=1, page=2) == [fid_a]
    assert ids(overdue="true") == []
    ok(
        client.post(
            f"{STAFF}/feedback/{fid_a}/route", headers=people["triage"], json={"path": "direct", "primary": "city-wb"}
        )
    )
    clock.advance(days=40)
    assert ids(overdue="true") == [fid_a]
    bad = client.get(f"{STAFF}/feedback", query_string={"per_page": 500}, headers=people["triage"])
    assert bad.status_code == 422 and "每页" in str(bad.get_json()["errors"])


def test_handler_sees_day_not_time_and_no_contact(client, people, clock):
    body = ok(
        client.post(
            f"{MP}/feedback",
            headers=people["reporter"],
            json={"kind": "problem", "content": MEETING, "anonymous": False, "contact": {"phone": "0371-5550000"}},
        ),
        201,
    )
    assert body["receipt"]
    fid = ok(client.get(f"{STAFF}/feedback", headers=people["triage"]))["items"][0]["id"]
    assert ok(client.get(f"{STAFF}/feedback/{fid}", headers=people["triage"]))["contact"]["phone"] == "0371-5550000"
    ok(
        client.post(
            f"{STAFF}/feedback/{fid}/route", headers=people["triage"], json={"path": "direct", "primary": "city-wb"}
        )
    )
    seen = ok(client.get(f"{STAFF}/feedback/{fid}", headers=people["wb"]))
    assert "contact" not in seen and "0371" not in str(seen)
    assert seen["submitted_on"] == "2026-09-23" and "13:30" not in str(seen)
    assert client.get(f"{STAFF}/feedback/{fid}", headers=people["fb"]).status_code == 404


def test_closing_never_marks_a_silent_cooperating_department_as_verified(client, people, clock, db):
    """已销号 means a verified report. A cooperating department that never reported is waited for,
    or released by an explicit 免报 decision that records who decided, when and why."""
    from feedback.models import Event, StaffUser

    receipt, fid = submit(client, people)
    ok(
        client.post(
            f"{STAFF}/feedback/{fid}/route",
            headers=people["triage"],
            json={"path": "direct", "primary": "city-wb", "cooperating": ["city-fb"]},
        )
    )
    wb, fb = assignment_of(client, people["wb"]), assignment_of(client, people["fb"])
    ok(client.post(f"{STAFF}/assignments/{wb['id']}/acknowledge", headers=people["wb"]))
    report = ok(
        client.post(
            f"{STAFF}/assignments/{wb['id']}/reports",
            headers=people["wb"],
            json={"measures": "清理参会范围", "result": "已印发通知"},
        ),
        201,
    )
    ok(client.post(f"{STAFF}/reports/{report['id']}/verdict", headers=people["triage"], json={"verdict": "accept"}))

    refused = client.post(f"{STAFF}/feedback/{fid}/close", headers=people["triage"], json={"note": "已整改"})
    assert refused.status_code == 409, refused.get_json()
    assert refused.get_json()["code"] == "cooperating_not_reported"
    assert "嵩阳市人民政府办公室" in refused.get_json()["message"] and "免报理由" in refused.get_json()["message"]
    assert ok(client.get(f"{STAFF}/assignments/{fb['id']}", headers=people["fb"]))["status"] == "pending"

    reason = "会议通知由市委办单独发出，市政府办无需另行反馈"
    closed = ok(
        client.post(
            f"{STAFF}/feedback/{fid}/close", headers=people["triage"], json={"note": "已整改", "waive_reason": reason}
        )
    )
    assert closed["status"] == "closed"
    seen = ok(client.get(f"{STAFF}/assignments/{fb['id']}", headers=people["fb"]))
    assert (seen["status"], seen["status_label"], seen["waive_reason"]) == ("waived", "免报", reason)
    assert seen["waived_at"] is not None and seen["accepted_at"] is None
    assert ok(client.get(f"{STAFF}/assignments?status=waived", headers=people["triage"]))["total"] == 1
    assert ok(client.get(f"{STAFF}/assignments?status=accepted", headers=people["triage"]))["total"] == 1
    db.session.rollback()
    event = db.session.scalar(select(Event).where(Event.assignment_id == fb["id"], Event.action == "waive"))
    triage_id = db.session.scalar(select(StaffUser.id).where(StaffUser.username == "zzb-triage"))
    assert (event.actor_id, event.reason, event.to_status, event.visible_to_reporter) == (
        triage_id,
        reason,
        "waived",
        False,
    )
    assert "免报" not in str(
        ok(client.post(f"{MP}/feedback/track", json={"receipt": receipt}, headers=people["reporter"]))
    )


def test_consultation_outcome_is_not_dated_ahead_and_can_be_corrected(client, people, clock, db):
    from feedback.models import Event

    receipt, fid = submit(client, people, CHECKS)
    consultation = ok(
        client.post(
            f"{STAFF}/consultations",
            headers=people["triage"],
            json={"title": "多头检查会商", "feedback_ids": [fid], "departments": ["city-wb", "city-yjgl"]},
        ),
        201,
    )
    url = f"{STAFF}/consultations/{consultation['id']}/outcome"
    early = client.patch(url, headers=people["triage"], json={"outcome": "改", "reason": "笔误"})
    assert early.status_code == 409 and early.get_json()["code"] == "consultation_not_held"
    body = {
        "attendees": ["市委办"],
        "outcome": "由市委办统筹检查计划",
        "assignments": [{"feedback_id": fid, "primary": "city-wb"}],
    }
    ahead = client.post(url, headers=people["triage"], json=body | {"held_on": "2026-09-24"})  # today is 09-23
    assert ahead.status_code == 422 and "不能晚于今天" in ahead.get_json()["errors"]["held_on"][0]
    ok(client.post(url, headers=people["triage"], json=body | {"held_on": "2026-09-23"}))

    for wrong, field in (
        ({"held_on": "2026-09-30", "reason": "改期"}, "held_on"),
        ({"reason": "无更正"}, "body"),
        ({"outcome": "新结果"}, "reason"),
    ):
        reply = client.patch(url, headers=people["triage"], json=wrong)
        assert reply.status_code == 422 and field in reply.get_json()["errors"], wrong
    assert client.patch(url, headers=people["wb"], json={"outcome": "x", "reason": "y"}).status_code == 403
    fixed = ok(
        client.patch(
            url,
            headers=people["triage"],
            json={
                "held_on": "2026-09-22",
                "attendees": ["市委办", "市应急管理局"],
                "reason": "会议实际于前一天召开，漏记应急管理局",
            },
        )
    )
    assert (fixed["held_on"], fixed["attendees"], fixed["outcome"]) == (
        "2026-09-22",
        ["市委办", "市应急管理局"],
        "由市委办统筹检查计划",
    )
    assert (
        ok(client.get(f"{STAFF}/consultations/{consultation['id']}", headers=people["triage"]))["held_on"]
        == "2026-09-22"
    )
    db.session.rollback()
    event = db.session.scalar(select(Event).where(Event.feedback_id == fid, Event.action == "correct_consultation"))
    assert event.reason == "会议实际于前一天召开，漏记应急管理局" and event.actor_role == "triage"
    assert event.data["before"] == {"held_on": "2026-09-23", "attendees": ["市委办"]}
    assert event.data["after"] == {"held_on": "2026-09-22", "attendees": ["市委办", "市应急管理局"]}
    assert len(assignment_of(client, people["wb"])) and timeline(client, people, receipt)[-1] == "按会商结果交办"
