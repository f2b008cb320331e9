"""会商 in the console: convened from a feedback, listed, opened, and its outcome recorded."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from feedback.models import Assignment, Consultation, Feedback
from tests.support.api import FORMS, MEETING, WEDNESDAY_0930, submit
from tests.support.console import console_client

WB, TJ, FB = "嵩阳市委办公室", "嵩阳市统计局", "嵩阳市人民政府办公室"


@pytest.fixture
def two(app, seeded, client, mp_login):
    app.extensions["clock"].freeze(WEDNESDAY_0930)
    headers = mp_login()
    return submit(client, headers, MEETING)[1], submit(client, headers, FORMS)[1]


def convene(client, fid: int, **data):
    form = {"csrf_token": client.csrf, "title": "陪会问题集中会商", "departments": [WB, TJ, ""]} | data
    return client.post(f"/console/feedback/{fid}/consult", data=form)


def test_triage_convenes_from_a_feedback_and_finds_it_in_the_list(app, db, two):
    fid, _ = two
    triage = console_client(app, db, "triage")
    reply = convene(triage, fid, scheduled_on="2026-09-25")
    consultation = db.session.scalar(select(Consultation))
    assert reply.status_code == 302 and reply.headers["Location"].endswith(f"/console/consultations/{consultation.id}")
    assert db.session.get(Feedback, fid).status == "in_consultation"
    html = triage.get(f"/console/consultations/{consultation.id}").get_data(as_text=True)
    assert "已召集集中会商" in html and f'href="/console/feedback/{fid}"' in html and "会商中" in html
    assert "记录会商结果" in html and f'name="primary-{fid}"' in html
    listing = triage.get("/console/consultations").get_data(as_text=True)
    assert "陪会问题集中会商" in listing and "待召开" in listing and "2026-09-25" in listing
    assert f"{WB}、{TJ}" in listing and "共 1 条" in listing


def test_convening_with_one_department_is_refused_and_keeps_the_title(app, db, two):
    fid, _ = two
    triage = console_client(app, db, "triage")
    reply = convene(triage, fid, title="只有一个部门的会商", departments=[WB])
    html = reply.get_data(as_text=True)
    assert reply.status_code == 422 and "集中会商至少需要两个部门参加" in html
    assert 'value="只有一个部门的会商"' in html and db.session.scalar(select(Consultation)) is None


def test_recording_the_outcome_assigns_each_item(app, db, two):
    fid, _ = two
    triage = console_client(app, db, "triage")
    convene(triage, fid)
    consultation = db.session.scalar(select(Consultation))
    url = f"/console/consultations/{consultation.id}/outcome"
    form = {
        "csrf_token": triage.csrf,
        "held_on": "2026-09-23",
        "attendees": "张三\n李四",
        "outcome": "由市委办牵头清理陪会，统计局配合",
        f"primary-{fid}": "",
        f"cooperating-{fid}": [TJ],
    }
    refused = triage.post(url, data=form)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and f"请为反映 #{fid} 选择主办部门" in html
    assert "由市委办牵头清理陪会，统计局配合</textarea>" in html and f'value="{TJ}"' in html
    reply = triage.post(url, data=form | {f"primary-{fid}": WB})
    assert reply.status_code == 302
    rows = db.session.scalars(select(Assignment).where(Assignment.feedback_id == fid).order_by(Assignment.id)).all()
    assert [(a.department.code, a.role, a.path) for a in rows] == [
        ("city-wb", "primary", "consult"),
        ("city-tj", "cooperating", "consult"),
    ]
    html = triage.get(f"/console/consultations/{consultation.id}").get_data(as_text=True)
    assert "已召开" in html and "张三、李四" in html and "由市委办牵头清理陪会" in html
    assert "记录会商结果" not in html and db.session.get(Feedback, fid).status == "assigned"


def test_viewer_reads_without_forms_and_handlers_are_refused(app, db, two):
    fid, _ = two
    convene(console_client(app, db, "triage"), fid)
    consultation = db.session.scalar(select(Consultation))
    viewer = console_client(app, db, "viewer")
    html = viewer.get(f"/console/consultations/{consultation.id}").get_data(as_text=True)
    assert "陪会问题集中会商" in html and "记录会商结果" not in html
    reply = viewer.post(
        f"/console/consultations/{consultation.id}/outcome", data={"csrf_token": viewer.csrf, "outcome": "x"}
    )
    assert reply.status_code == 403 and consultation.status == "convened"
    handler = console_client(app, db, "handler", "city-wb")
    assert handler.get("/console/consultations").status_code == 403
    assert handler.get(f"/console/consultations/{consultation.id}").status_code == 403
    assert 'href="/console/consultations"' in viewer.get("/console/").get_data(as_text=True)
    assert 'href="/console/consultations"' not in handler.get("/console/").get_data(as_text=True)


def test_a_held_meeting_is_corrected_with_a_reason(app, db, two):
    from feedback.models import Event

    fid, _ = two
    triage = console_client(app, db, "triage")
    convene(triage, fid)
    consultation = db.session.scalar(select(Consultation))
    triage.post(
        f"/console/consultations/{consultation.id}/outcome",
        data={
            "csrf_token": triage.csrf,
            "held_on": "2026-09-23",
            "attendees": "张三、李四",
            "outcome": "市委办牵头",
            f"primary-{fid}": WB,
        },
    )
    html = triage.get(f"/console/consultations/{consultation.id}").get_data(as_text=True)
    assert "更正会商记录" in html and "张三\n李四</textarea>" in html
    url = f"/console/consultations/{consultation.id}/correction"
    form = {"csrf_token": triage.csrf, "held_on": "2026-09-23", "attendees": "张三\n李四", "outcome": "市委办牵头"}
    reply = triage.post(url, data=form | {"reason": "补记参会人员", "attendees": "张三\n李四\n王五"})
    assert reply.status_code == 302
    db.session.expire_all()
    assert db.session.get(Consultation, consultation.id).attendees == ["张三", "李四", "王五"]
    event = db.session.scalar(select(Event).where(Event.action == "correct_consultation"))
    assert event.reason == "补记参会人员" and event.feedback_id == fid
    same = triage.post(url, data=form | {"attendees": "张三\n李四\n王五", "reason": "再改一次"})
    assert same.status_code == 422 and "更正内容与原记录相同" in same.get_data(as_text=True)
    assert "更正会商记录" in triage.get(f"/console/feedback/{fid}").get_data(as_text=True)  # in the timeline
