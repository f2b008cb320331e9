"""Notices that bring people to the console, and 我的通知 where each user reads them.

The six actions are taken through the API endpoints, as the mini-program and the staff clients take
them; each must queue exactly one notice, in its own transaction, to the right unit, with a link to
its console page under CONSOLE_BASE_URL, and none when the action is refused or retried. The clock
is frozen on Wednesday 2026-09-23, 09:30 China time (deadlines as in test_staff_assignments).
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from feedback.models import Department, NoticeRead, ObservationPoint, OutboxMessage, StaffUser
from feedback.services.notices.queue import enqueue
from feedback.timeutil import day_start
from tests.support.api import MP, STAFF, WEDNESDAY_0930, cast, error, frozen, ok, rate, submit
from tests.support.console import console_client
from tests.support.routing import WB_MAIL, write_routing

BASE = "https://jianfu.example.gov.cn"
CONTACT = {"name": "张三", "phone": "13800000000", "note": "工作日可联系"}
EXACT_TIME = re.compile(r"\d{1,2}:\d{2}")


@pytest.fixture
def clock(app):
    return frozen(app, WEDNESDAY_0930)


@pytest.fixture
def routing(app, seeded, tmp_path):
    """City-wb by e-mail, city-fb by robot, the org department by robot (tests/support/routing.py)."""
    app.config["NOTIFICATIONS_PATH"] = str(write_routing(tmp_path / "notifications.yaml", "http://127.0.0.1:9/x"))
    app.config["CONSOLE_BASE_URL"] = BASE + "/"  # a trailing slash must not double up in the links
    return app


@pytest.fixture
def people(routing, staff_login, mp_login):
    return cast(staff_login, mp_login, "triage", "wb", "fb", "tj")


def notices(db) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def dept_id(db, code: str) -> int:
    return db.session.scalar(select(Department.id).where(Department.code == code))


def new_notices(db, before: int) -> list[OutboxMessage]:
    return notices(db)[before:]


def test_each_action_queues_one_notice_to_the_right_unit_with_its_console_link(client, db, people, clock):
    receipt, fid = submit(client, people["reporter"], anonymous=False, contact=CONTACT)
    assert notices(db) == []  # a submission is the org department's inbox, not a notice

    # 1. A new assignment: one notice to each department given work.
    route = {"path": "direct", "primary": "city-wb", "cooperating": ["city-fb"], "instructions": "请核实"}
    detail = ok(client.post(f"{STAFF}/feedback/{fid}/route", json=route, headers=people["triage"]))
    wb_aid, fb_aid = (a["id"] for a in sorted(detail["assignments"], key=lambda a: a["role"] != "primary"))
    to_wb, to_fb = notices(db)
    assert (to_wb.kind, to_wb.department_id, to_wb.channel, to_wb.recipient) == (
        "assigned",
        dept_id(db, "city-wb"),
        "email",
        WB_MAIL,
    )
    assert (to_fb.kind, to_fb.department_id, to_fb.channel, to_fb.recipient) == (
        "assigned",
        dept_id(db, "city-fb"),
        "webhook",
        "fb-robot",
    )
    assert to_wb.subject == f"【新交办】第 {fid} 号反映交由贵单位主办"
    assert to_wb.body == (
        f"嵩阳市委办公室：组织部将第 {fid} 号反映交由贵单位主办（交办单编号 {wb_aid}）。"
        "请于 2026-09-24 前签收，办理期限为 2026-10-21；不属于本单位职责的，可于 2026-09-28 前退回并说明理由。"
        f"请登录控制台查看并办理：{BASE}/console/assignments/{wb_aid}"
    )
    assert to_fb.body.endswith(f"{BASE}/console/assignments/{fb_aid}") and "协办" in to_fb.subject
    # Retried (the answer was lost on the way): refused, and nothing queued twice.
    error(client.post(f"{STAFF}/feedback/{fid}/route", json=route, headers=people["triage"]), 409)
    assert len(notices(db)) == 2

    # 2. A return: to the org department.
    count = len(notices(db))
    reason = {"reason": "该事项不属于本部门职责"}
    error(client.post(f"{STAFF}/assignments/{fb_aid}/return", json=reason, headers=people["tj"]), 404)  # not theirs
    ok(client.post(f"{STAFF}/assignments/{fb_aid}/return", json=reason, headers=people["fb"]))
    error(client.post(f"{STAFF}/assignments/{fb_aid}/return", json=reason, headers=people["fb"]), 409)  # retry
    (returned,) = new_notices(db, count)
    assert (returned.kind, returned.department_id, returned.channel, returned.recipient) == (
        "returned",
        None,
        "webhook",
        "zzb-robot",
    )
    assert returned.subject == f"【退回】嵩阳市人民政府办公室退回了第 {fid} 号反映的交办单"
    assert "理由：该事项不属于本部门职责" in returned.body
    assert returned.body.endswith(f"{BASE}/console/assignments/{fb_aid}")

    # 3. A reporter's answer to a question: to the org department, without what they wrote.
    count = len(notices(db))
    ok(
        client.post(
            f"{STAFF}/feedback/{fid}/questions", json={"question": "是哪一天的会议？"}, headers=people["triage"]
        )
    )
    assert len(notices(db)) == count  # asking is no notice to anyone
    answer = {"receipt": receipt, "body": "是九月十五日的秸秆焚烧调度会"}
    ok(client.post(f"{MP}/feedback/messages", json=answer, headers=people["reporter"]), 201)
    error(client.post(f"{MP}/feedback/messages", json=answer, headers=people["reporter"]), 409)  # retry
    (answered,) = new_notices(db, count)
    assert (answered.kind, answered.department_id, answered.recipient) == ("reporter_answered", None, "zzb-robot")
    assert answered.body.endswith(f"{BASE}/console/feedback/{fid}") and "九月十五日" not in answered.body
    assert answered.created_at == day_start(WEDNESDAY_0930)  # a reporter's step keeps its day only

    # 4. An extension decision: to the department that asked.
    count = len(notices(db))
    asked = ok(
        client.post(
            f"{STAFF}/assignments/{wb_aid}/extensions", json={"days": 5, "reason": "需协调"}, headers=people["wb"]
        ),
        201,
    )
    assert len(notices(db)) == count  # the request is in triage's 延期审批 list
    decision = {"approve": True, "note": "同意延期"}
    ok(client.post(f"{STAFF}/extensions/{asked['id']}/decision", json=decision, headers=people["triage"]))
    error(client.post(f"{STAFF}/extensions/{asked['id']}/decision", json=decision, headers=people["triage"]), 409)
    (decided,) = new_notices(db, count)
    assert (decided.kind, decided.department_id, decided.recipient) == (
        "extension_decided",
        dept_id(db, "city-wb"),
        WB_MAIL,
    )
    assert "组织部已同意，办理期限延长至 2026-10-28" in decided.body and "审批意见：同意延期" in decided.body
    assert decided.body.endswith(f"{BASE}/console/assignments/{wb_aid}")

    # 5. A send-back: to the department.
    ok(client.post(f"{STAFF}/assignments/{wb_aid}/acknowledge", headers=people["wb"]))
    report = {"measures": "精简会议", "result": "已整改", "attachments": []}
    first = ok(client.post(f"{STAFF}/assignments/{wb_aid}/reports", json=report, headers=people["wb"]), 201)
    count = len(notices(db))
    verdict = {"verdict": "send_back", "note": "整改不到位，请继续整改"}
    error(client.post(f"{STAFF}/reports/{first['id']}/verdict", json=verdict, headers=people["wb"]), 403)
    ok(client.post(f"{STAFF}/reports/{first['id']}/verdict", json=verdict, headers=people["triage"]))
    error(client.post(f"{STAFF}/reports/{first['id']}/verdict", json=verdict, headers=people["triage"]), 409)
    (sent_back,) = new_notices(db, count)
    assert (sent_back.kind, sent_back.department_id) == ("sent_back", dept_id(db, "city-wb"))
    assert "要求继续整改。核验意见：整改不到位，请继续整改。" in sent_back.body
    assert sent_back.body.endswith(f"{BASE}/console/assignments/{wb_aid}")

    # 6. 不满意: to the org department, once per closure rated.
    second = ok(client.post(f"{STAFF}/assignments/{wb_aid}/reports", json=report, headers=people["wb"]), 201)
    ok(client.post(f"{STAFF}/reports/{second['id']}/verdict", json={"verdict": "accept"}, headers=people["triage"]))
    ok(client.post(f"{STAFF}/feedback/{fid}/close", json={"note": "已整改到位"}, headers=people["triage"]))
    count = len(notices(db))
    ok(rate(client, people["reporter"], receipt, "unsatisfied", "会议照开"))
    error(rate(client, people["reporter"], receipt, "unsatisfied", "会议照开"), 409)  # retry
    (unsatisfied,) = new_notices(db, count)
    assert (unsatisfied.kind, unsatisfied.department_id, unsatisfied.recipient) == (
        "rated_unsatisfied",
        None,
        "zzb-robot",
    )
    assert "已退回组织部" in unsatisfied.body and "会议照开" not in unsatisfied.body
    assert unsatisfied.body.endswith(f"{BASE}/console/feedback/{fid}")
    assert unsatisfied.created_at == day_start(WEDNESDAY_0930)

    kinds = [m.kind for m in notices(db)]
    assert sorted(kinds) == sorted(
        ["assigned", "assigned", "returned", "reporter_answered", "extension_decided", "sent_back", "rated_unsatisfied"]
    )
    assert len({m.dedupe_key for m in notices(db)}) == len(kinds)


def test_a_second_unsatisfied_rating_after_the_reopening_is_told_too(client, db, people, clock):
    receipt, fid = submit(client, people["reporter"])
    for round_ in (1, 2):
        (aid,) = (
            a["id"]
            for a in ok(
                client.post(
                    f"{STAFF}/feedback/{fid}/route",
                    json={"path": "direct", "primary": "city-wb"},
                    headers=people["triage"],
                )
            )["assignments"]
            if a["status"] == "pending"
        )
        ok(client.post(f"{STAFF}/assignments/{aid}/acknowledge", headers=people["wb"]))
        report = ok(
            client.post(
                f"{STAFF}/assignments/{aid}/reports",
                json={"measures": "精简会议", "result": f"第 {round_} 次整改", "attachments": []},
                headers=people["wb"],
            ),
            201,
        )
        ok(client.post(f"{STAFF}/reports/{report['id']}/verdict", json={"verdict": "accept"}, headers=people["triage"]))
        ok(client.post(f"{STAFF}/feedback/{fid}/close", json={}, headers=people["triage"]))
        assert ok(rate(client, people["reporter"], receipt, "unsatisfied", "仍然陪会"))["reopened"] is (round_ == 1)
    told = [m for m in notices(db) if m.kind == "rated_unsatisfied"]
    assert len(told) == 2 and "不再自动退回" in told[1].body
    assert len([m for m in notices(db) if m.kind == "assigned"]) == 2  # one per routing


def test_department_notices_carry_nothing_that_identifies_the_reporter(client, db, people, clock):
    receipt, fid = submit(client, people["reporter"], anonymous=False, contact=CONTACT)
    clock.advance(hours=3, minutes=17)
    detail = ok(
        client.post(
            f"{STAFF}/feedback/{fid}/route",
            json={"path": "direct", "primary": "city-wb", "cooperating": ["city-fb"]},
            headers=people["triage"],
        )
    )
    wb_aid = next(a["id"] for a in detail["assignments"] if a["role"] == "primary")
    asked = ok(
        client.post(
            f"{STAFF}/assignments/{wb_aid}/extensions", json={"days": 3, "reason": "需协调"}, headers=people["wb"]
        ),
        201,
    )
    ok(client.post(f"{STAFF}/extensions/{asked['id']}/decision", json={"approve": False}, headers=people["triage"]))
    to_departments = [m for m in notices(db) if m.department_id is not None]
    assert {m.kind for m in to_departments} == {"assigned", "extension_decided"} and len(to_departments) == 3
    content = ok(client.get(f"{STAFF}/feedback/{fid}", headers=people["triage"]))["content"]
    for message in to_departments:
        text = f"{message.subject}\n{message.body}\n{message.payload}"
        for secret in (*CONTACT.values(), content[:12], receipt):
            assert secret not in text
        assert not EXACT_TIME.search(text.replace(BASE, "")), text  # days only, never a time of day
        assert "未获同意" in text or message.kind == "assigned"


def test_notices_page_shows_unread_count_and_read_state_per_user(app, client, db, people, clock):
    _, fid = submit(client, people["reporter"])
    ok(
        client.post(
            f"{STAFF}/feedback/{fid}/route", json={"path": "direct", "primary": "city-wb"}, headers=people["triage"]
        )
    )
    (notice,) = notices(db)
    anna = console_client(app, db, "handler", department_code="city-wb", display_name="安娜")
    bo = console_client(app, db, "handler", department_code="city-wb", display_name="波")

    page = anna.get("/console/notices").get_data(as_text=True)
    assert '我的通知 <span class="count">(1)</span>' in page  # in the menu of every page
    assert "全部通知（未读 1 条）" in page and notice.subject in page and "未读" in page
    assert f"{BASE}/console/assignments/" in page  # the text carries its link
    assert f'<a href="/console/assignments/{notice.payload["assignment_id"]}">查看</a>' in page  # and the page
    assert "(1)</span>" in anna.get("/console/").get_data(as_text=True)

    reply = anna.post(f"/console/notices/{notice.id}/read", data={"csrf_token": anna.csrf})
    assert reply.status_code == 302 and reply.headers["Location"].endswith("/console/notices")
    page = anna.get("/console/notices").get_data(as_text=True)
    assert "已标为已读" in page and "(0)</span>" in page and "已读" in page
    assert notice.subject not in anna.get("/console/notices?show=unread").get_data(as_text=True)
    # Read state is per person: a colleague of the same department still has it unread.
    assert "(1)</span>" in bo.get("/console/notices").get_data(as_text=True)
    # Marking twice (a double click, a second tab) adds nothing.
    anna.post(f"/console/notices/{notice.id}/read", data={"csrf_token": anna.csrf})
    assert db.session.scalar(select(func.count()).select_from(NoticeRead)) == 1

    # 全部标为已读, for this user only.
    _, fid2 = submit(client, people["reporter"])
    ok(
        client.post(
            f"{STAFF}/feedback/{fid2}/route", json={"path": "direct", "primary": "city-wb"}, headers=people["triage"]
        )
    )
    assert "(2)</span>" in bo.get("/console/").get_data(as_text=True)
    reply = bo.post("/console/notices/read-all", data={"csrf_token": bo.csrf, "show": "unread"})
    assert reply.headers["Location"].endswith("/console/notices?show=unread")
    page = bo.get("/console/notices?show=unread").get_data(as_text=True)
    assert "没有未读通知" in page and "(0)</span>" in page and "已全部标为已读" in page
    assert "(1)</span>" in anna.get("/console/").get_data(as_text=True)  # anna still has the second one
    # Without the form's CSRF token nothing is marked.
    assert anna.post("/console/notices/read-all", data={}).status_code == 400
    assert "(1)</span>" in anna.get("/console/").get_data(as_text=True)


def test_a_user_never_sees_another_units_notices(app, client, db, people, clock):
    _, fid = submit(client, people["reporter"])
    detail = ok(
        client.post(
            f"{STAFF}/feedback/{fid}/route",
            json={"path": "direct", "primary": "city-wb", "cooperating": ["city-fb"]},
            headers=people["triage"],
        )
    )
    fb_aid = next(a["id"] for a in detail["assignments"] if a["role"] == "cooperating")
    ok(client.post(f"{STAFF}/assignments/{fb_aid}/return", json={"reason": "不属于本部门职责"}, headers=people["fb"]))
    point = db.session.scalar(select(ObservationPoint).order_by(ObservationPoint.id).limit(1))
    enqueue(
        kind="ledger_missing",
        dedupe_key="ledger:test:missing",
        subject="【日登记提醒】观测点昨日未登记",
        body="请补登记。",
        point_id=point.id,
    )
    enqueue(kind="calendar_coverage", dedupe_key="calendar:test", subject="【节假日数据】即将用完", body="请更新。")
    db.session.commit()
    by_kind = {m.kind: m for m in notices(db)}
    to_wb, to_fb = (m for m in notices(db) if m.kind == "assigned")

    def sees(who) -> set[str]:
        html = who.get("/console/notices?per_page=100").get_data(as_text=True)
        return {
            m.kind + (":wb" if m is to_wb else ":fb" if m is to_fb else "") for m in notices(db) if m.subject in html
        }

    wb = console_client(app, db, "handler", department_code="city-wb")
    fb = console_client(app, db, "handler", department_code="city-fb")
    tj = console_client(app, db, "handler", department_code="city-tj")
    liaison = console_client(app, db, "liaison", point_code=point.code)
    triage = console_client(app, db, "triage")
    admin = console_client(app, db, "admin")
    assert sees(wb) == {"assigned:wb"}
    assert sees(fb) == {"assigned:fb"}  # its own return went to the org department
    assert sees(tj) == set()
    assert sees(liaison) == {"ledger_missing"}
    assert sees(triage) == {"returned"}
    assert sees(admin) == {"returned", "calendar_coverage"}
    assert "(0)</span>" in tj.get("/console/").get_data(as_text=True)

    # Marking another unit's notice read is refused as if it did not exist, and records nothing.
    page = tj.post(
        f"/console/notices/{by_kind['returned'].id}/read", data={"csrf_token": tj.csrf}, follow_redirects=True
    )
    assert "未找到该通知" in page.get_data(as_text=True)
    tj_id = db.session.scalar(select(StaffUser.id).where(StaffUser.username == tj.username))
    assert db.session.scalar(select(func.count()).select_from(NoticeRead).where(NoticeRead.staff_user_id == tj_id)) == 0
    tj.post("/console/notices/read-all", data={"csrf_token": tj.csrf})
    assert db.session.scalar(select(func.count()).select_from(NoticeRead).where(NoticeRead.staff_user_id == tj_id)) == 0


def test_the_console_takes_the_same_path_a_return_there_tells_the_org_department_once(app, client, db, people, clock):
    _, fid = submit(client, people["reporter"])
    detail = ok(
        client.post(
            f"{STAFF}/feedback/{fid}/route", json={"path": "direct", "primary": "city-wb"}, headers=people["triage"]
        )
    )
    (aid,) = (a["id"] for a in detail["assignments"])
    wb = console_client(app, db, "handler", department_code="city-wb")
    form = {"csrf_token": wb.csrf, "return_reason": "不属于本部门职责"}
    assert wb.post(f"/console/assignments/{aid}/return", data=form).status_code == 302
    wb.post(f"/console/assignments/{aid}/return", data=form)  # the form sent twice: refused the second time
    assert [m.kind for m in notices(db)] == ["assigned", "returned"]
    triage = console_client(app, db, "triage")
    page = triage.get("/console/notices").get_data(as_text=True)
    assert "(1)</span>" in page and "退回了第" in page and f'href="/console/assignments/{aid}"' in page
