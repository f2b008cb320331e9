"""反映详情 in the console: what each role sees of one feedback, and the org department's actions on it."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from feedback.models import Assignment, Feedback, FeedbackTag
from feedback.services.handling import assignments as handling
from feedback.services.handling.actors import Actor
from feedback.services.intake import reporter
from tests.support.api import FORMS, MEETING, WEDNESDAY_0930, ok, route, submit
from tests.support.console import console_client

WB, TJ = "嵩阳市委办公室", "嵩阳市统计局"
# A second statement of the meeting burden, in other words: a likely duplicate of MEETING.
MEETING_AGAIN = "秸秆焚烧会议又要求街道书记陪会，我们街道没有庄稼地，这个月已经陪会三次。"


@pytest.fixture
def clock(app):
    app.extensions["clock"].freeze(WEDNESDAY_0930)
    return app.extensions["clock"]


@pytest.fixture
def cadre(seeded, client, mp_login):
    """Submit as a cadre through the mini-program API: ``cadre(content, **extra)`` -> (receipt, id)."""
    headers = mp_login()

    def send(content: str = MEETING, **extra):
        return submit(client, headers, content, **extra)

    send.headers = headers
    return send


def page(client, fid: int) -> str:
    reply = client.get(f"/console/feedback/{fid}")
    assert reply.status_code == 200, reply.get_data(as_text=True)[:500]
    return reply.get_data(as_text=True)


def post(client, fid: int, action: str, **data):
    return client.post(f"/console/feedback/{fid}/{action}", data={"csrf_token": client.csrf, **data})


def test_triage_sees_the_evidence_marked_the_rule_that_fired_and_the_contact(app, db, cadre, clock):
    _, fid = cadre(
        MEETING + "<script>alert(1)</script>", anonymous=False, contact={"name": "王", "phone": "0371-1234567"}
    )
    triage = console_client(app, db, "triage")
    html = page(triage, fid)
    tag = db.session.scalars(select(FeedbackTag).where(FeedbackTag.feedback_id == fid)).first()
    term = tag.matched[0]
    assert re.search(rf"<mark title=\"标签依据：[^\"]*{tag.tag.name}[^\"]*\">[^<]*{term}[^<]*</mark>", html)
    assert f"〔{tag.tag.name}" in html  # the tag named in words beside the marked words
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    suggestion = db.session.get(Feedback, fid).routing_suggestion
    assert "交办建议" in html and suggestion["rules"][0] in html and f"建议主办</dt><dd>{WB}" in html
    assert "0371-1234567" in html  # the org department sees the contact
    assert f'value="{WB}"' in html  # the picker starts from the suggestion


def test_attachment_is_served_to_readers_and_the_assigned_department_only(app, db, cadre, client, jpeg_bytes, clock):
    upload = ok(
        client.post(
            "/api/mp/v1/uploads",
            data={"file": (io.BytesIO(jpeg_bytes()), "photo.jpg")},
            headers=cadre.headers,
            content_type="multipart/form-data",
        ),
        201,
    )["id"]
    _, fid = cadre(attachments=[upload])
    _, other = cadre(FORMS)
    route(db, fid, "city-wb")
    url = f"/console/feedback/{fid}/attachments/{upload}"
    triage = console_client(app, db, "triage")
    assert url in page(triage, fid)  # linked from the page, through the console only
    for reader in (triage, console_client(app, db, "viewer"), console_client(app, db, "handler", "city-wb")):
        reply = reader.get(url)
        assert reply.status_code == 200 and reply.mimetype == "image/jpeg"
        assert reply.headers["Cache-Control"] == "no-store"
        assert reply.headers["Content-Disposition"].startswith("inline; filename=")
        assert reply.data[:2] == b"\xff\xd8"
    assert console_client(app, db, "handler", "city-fb").get(url).status_code == 404
    assert console_client(app, db, "liaison", point_code="GC01").get(url).status_code == 404
    assert triage.get(f"/console/feedback/{other}/attachments/{upload}").status_code == 404
    assert client.get(url).status_code == 302  # not logged in: to the login page, never the file


def test_likely_duplicates_are_listed_and_merged_in_one_click(app, db, cadre, clock):
    _, first = cadre(MEETING)
    _, forms = cadre(FORMS)
    _, again = cadre(MEETING_AGAIN)
    triage = console_client(app, db, "triage")
    html = page(triage, again)
    listed = html.split('id="h-duplicates"')[1].split("</section>")[0]
    assert f"/console/feedback/{first}" in listed and f"/console/feedback/{forms}" not in listed
    assert f"把本条合并到 #{first}" in listed
    reply = post(triage, again, "merge", target_id=str(first))
    assert reply.status_code == 302 and reply.headers["Location"].endswith(f"/console/feedback/{again}")
    merged = db.session.get(Feedback, again)
    assert merged.status == "merged" and merged.merged_into_id == first
    html = page(triage, again)
    assert "已合并，办理进度以合并后的反映为准" in html and "合并到 #" in html
    # a merged feedback is nobody's duplicate any more
    assert f"/console/feedback/{again}" not in page(triage, first).split('id="h-duplicates"')[1].split("</section>")[0]


def test_routing_with_the_pickers_creates_the_assignments(app, db, cadre, clock):
    _, fid = cadre()
    triage = console_client(app, db, "triage")
    reply = post(triage, fid, "route", path="direct", primary=WB, cooperating=[TJ, ""], instructions="请核实")
    assert reply.status_code == 302
    rows = db.session.scalars(select(Assignment).where(Assignment.feedback_id == fid).order_by(Assignment.id)).all()
    assert [(a.department.code, a.role, a.status) for a in rows] == [
        ("city-wb", "primary", "pending"),
        ("city-tj", "cooperating", "pending"),
    ]
    html = page(triage, fid)
    assert "已交办，相关部门会收到通知" in html
    table = html.split('id="h-assignments"')[1].split("</section>")[0]
    assert WB in table and TJ in table and table.count("待签收") == 2 and "2026-" in table
    assert f"主办：{WB}" in html and f"协办：{TJ}" in html  # the timeline says who got it
    assert 'id="route-form"' not in html  # routed: the form is gone


def test_a_refused_action_shows_the_reason_and_keeps_what_was_typed(app, db, cadre, clock):
    _, fid = cadre()
    triage = console_client(app, db, "triage")
    reply = post(triage, fid, "route", path="direct", primary="不存在的委员会", instructions="请尽快核实并整改到位")
    html = reply.get_data(as_text=True)
    assert reply.status_code == 422 and "未找到部门“不存在的委员会”" in html
    assert 'value="不存在的委员会"' in html and "请尽快核实并整改到位</textarea>" in html
    assert db.session.scalars(select(Assignment)).all() == []
    reply = post(triage, fid, "reject", reason="")
    assert reply.status_code == 422 and "请填写不予受理的理由" in reply.get_data(as_text=True)


def test_asking_pauses_and_the_answer_shows_the_pause_in_words(app, db, cadre, clock):
    _, fid = cadre()
    route(db, fid, "city-wb")
    due_before = db.session.scalar(select(Assignment.due_at))
    triage = console_client(app, db, "triage")
    assert post(triage, fid, "ask", question="请问会议通知是哪个部门发的？").status_code == 302
    html = page(triage, fid)
    assert "请问会议通知是哪个部门发的？" in html and "正在等待反映人答复" in html
    clock.advance(days=5)  # asked on Wednesday, answered on Monday: Thursday and Friday waited
    reporter.answer(db.session.get(Feedback, fid), "是县农业农村局发的通知")
    db.session.commit()
    due_after = db.session.scalar(select(Assignment.due_at))
    assert due_after > due_before
    html = page(triage, fid)
    assert "是县农业农村局发的通知" in html and "反映人答复" in html
    from feedback.services.handling.deadlines import day_of

    assert f"等待答复 2 个工作日，期限顺延至 {day_of(due_after).isoformat()}" in html


def test_reject_and_retag(app, db, cadre, clock):
    _, fid = cadre()
    _, other = cadre(FORMS)
    triage = console_client(app, db, "triage")
    assert post(triage, other, "tags", tags=["peihui"], note="按内容调整").status_code == 302
    assert [t.tag.code for t in db.session.get(Feedback, other).tags] == ["peihui"]
    assert post(triage, fid, "reject", reason="不属于基层减负范围").status_code == 302
    assert db.session.get(Feedback, fid).status == "rejected"
    assert "不属于基层减负范围" in page(triage, fid)


def test_close_needs_a_waive_reason_while_a_cooperating_department_has_not_reported(app, db, cadre, clock):
    _, fid = cadre()
    primary, _cooperating = (db.session.get(Assignment, i) for i in route(db, fid, "city-wb", ("city-tj",)))
    handler = Actor("staff", "handler", None, primary.department_id)
    handling.acknowledge(handler, primary)
    report = handling.respond(
        handler, primary, measures="精简会议", result="已发文", summary="不再陪会", attachments=[]
    )
    handling.accept(Actor("staff", "triage"), report, None)
    db.session.commit()
    triage = console_client(app, db, "triage")
    reply = post(triage, fid, "close", note="已整改到位", waive_reason="")
    html = reply.get_data(as_text=True)
    assert reply.status_code == 409 and f"协办部门尚未反馈：{TJ}" in html and "已整改到位</textarea>" in html
    assert post(triage, fid, "close", note="已整改到位", waive_reason="统计局无相关职责").status_code == 302
    assert db.session.get(Feedback, fid).status == "closed"


def test_a_viewer_reads_everything_but_has_no_forms_and_cannot_post(app, db, cadre, clock):
    _, fid = cadre(anonymous=False, contact={"name": "王", "phone": "0371-1234567"})
    viewer = console_client(app, db, "viewer")
    html = page(viewer, fid)
    assert "交办建议" in html and "办理记录" in html and "本页只供查看" in html
    assert f'action="/console/feedback/{fid}/' not in html
    assert "0371-1234567" not in html  # the contact is the org department's only
    reply = post(viewer, fid, "route", path="direct", primary=WB)
    assert reply.status_code == 403 and "只有组织部研判人员可以办理反映" in reply.get_data(as_text=True)
    assert db.session.get(Feedback, fid).status == "submitted"


def test_a_handler_sees_the_department_view_of_their_own_feedback_only(app, db, cadre, clock):
    _, fid = cadre(anonymous=False, contact={"name": "王", "phone": "0371-1234567"})
    _, elsewhere = cadre(FORMS)
    route(db, fid, "city-wb", ("city-tj",))
    route(db, elsewhere, "city-tj")
    triage = console_client(app, db, "triage")
    post(triage, fid, "ask", question="请问是哪个部门通知的？")
    wb = console_client(app, db, "handler", "city-wb")
    html = page(wb, fid)
    assert "秸秆焚烧会议" in html and "本部门的交办单" in html and WB in html
    assert db.session.get(Feedback, fid).submitted_on.isoformat() in html
    for hidden in ("0371-1234567", "联系方式", "交办建议", "请问是哪个部门通知的", "办理记录", TJ, "<mark"):
        assert hidden not in html, hidden
    main = html.split('<main id="main">')[1]
    assert not re.search(r"\d{1,2}:\d{2}", main)  # dates only, never a time of day
    assert "组织部正在请反映人补充情况" in html
    assert wb.get(f"/console/feedback/{elsewhere}").status_code == 404
    assert post(wb, fid, "reject", reason="x").status_code == 403
    assert db.session.get(Feedback, fid).status == "needs_info"


def test_escalation_goes_to_a_municipal_department_only(app, db, cadre, clock):
    _, fid = cadre()
    triage = console_client(app, db, "triage")
    reply = post(triage, fid, "route", path="escalate", municipal="嵩阳市城关区委办公室")
    assert reply.status_code == 422 and "未找到部门" in reply.get_data(as_text=True)
    reply = post(triage, fid, "route", path="escalate", municipal="新华区委办公室")
    assert reply.status_code == 422 and "转市直部门上报时，承办部门须为市级部门" in reply.get_data(as_text=True)
    assert post(triage, fid, "route", path="escalate", municipal=WB).status_code == 302
    (assignment,) = db.session.scalars(select(Assignment)).all()
    assert (assignment.department.code, assignment.path) == ("city-wb", "escalate")
    assert "转市直部门向上反映" in page(triage, fid)


def test_a_name_two_departments_share_asks_for_the_code(app, db, cadre, clock):
    from feedback.models import Department

    db.session.add(Department(code="city-wb-2", name=WB, level="city", active=True))
    db.session.commit()
    _, fid = cadre()
    triage = console_client(app, db, "triage")
    reply = post(triage, fid, "route", path="direct", primary=WB)
    assert reply.status_code == 422 and f"有多个部门名为“{WB}”，请改填部门代码：city-wb、city-wb-2" in reply.get_data(
        as_text=True
    )
    assert post(triage, fid, "route", path="direct", primary="city-wb-2").status_code == 302
    assert db.session.scalar(select(Assignment)).department.code == "city-wb-2"
