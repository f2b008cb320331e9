"""延期审批 and 整改核验 in the console: the org department decides, the department sees the outcome.

One assignment goes the whole way through the console's forms: the handler asks for an extension,
triage approves it (the due day moves), the handler reports with a PDF and a JPEG, triage sees
the complaint and the report side by side with the files, sends it back once, then accepts.
"""

from __future__ import annotations

import io
import re

import pytest

from feedback.models import Assignment, ExtensionRequest, RectificationReport
from feedback.services.handling import deadlines
from tests.support.api import MEETING, frozen, route, submit
from tests.support.api import WEDNESDAY_0930 as WED
from tests.support.console import console_client
from tests.support.console_pages import page, post, text
from tests.support.documents import pdf_bytes


@pytest.fixture
def assigned(app, db, seeded, client, mp_login):
    frozen(app, WED)
    _, fid = submit(client, mp_login())
    (assignment_id,) = route(db, fid, "city-wb")
    return assignment_id


@pytest.fixture
def people(app, db, seeded):
    return {
        "wb": console_client(app, db, "handler", department_code="city-wb"),
        "triage": console_client(app, db, "triage"),
        "viewer": console_client(app, db, "viewer"),
    }


def report(client, url, files=(), measures="清理会议参会范围", result="已印发通知"):
    data = {"measures": measures, "result": result, "summary": "无农业任务的街道不再参会", "files": list(files)}
    return post(client, f"{url}/report", data, content_type="multipart/form-data")


def test_triage_approves_an_extension_and_the_due_day_moves(app, db, assigned, people):
    wb, triage, viewer = people["wb"], people["triage"], people["viewer"]
    url = f"/console/assignments/{assigned}"
    before = deadlines.day_of(db.session.get(Assignment, assigned).due_at)
    post(wb, f"{url}/acknowledge")
    post(wb, f"{url}/extension", {"days": "3", "reason": "需协调市直多个部门"})
    request_id = db.session.query(ExtensionRequest.id).scalar()

    html = page(viewer, "/console/extensions")
    assert "需协调市直多个部门" in html and "共 1 条" in html and "decision" not in html  # reads, no buttons
    post(viewer, f"/console/extensions/{request_id}/decision", {"decision": "approve"}, status=403)
    assert db.session.get(ExtensionRequest, request_id).status == "requested"
    post(wb, f"/console/extensions/{request_id}/decision", {"decision": "approve"}, status=403)

    html = page(triage, "/console/extensions")
    assert 'href="/console/extensions"' in html and "同意延期" in html and f"交办单 {assigned}" in html
    post(triage, f"/console/extensions/{request_id}/decision", {"decision": "approve", "note": "同意，抓紧办理"})
    html = page(triage, "/console/extensions")
    assert "已同意延期，办理期限已顺延" in html and "没有待审批的延期申请" in html
    assert "同意，抓紧办理" in page(triage, "/console/extensions?status=approved")
    db.session.expire_all()
    after = deadlines.day_of(db.session.get(Assignment, assigned).due_at)
    assert (before.isoformat(), after.isoformat()) == ("2026-10-21", "2026-10-26")  # 3 working days later
    html = page(wb, url)
    assert "2026-10-26" in html and "已延期 3 个工作日" in html and "同意延期" in text(html)
    post(triage, f"/console/extensions/{request_id}/decision", {"decision": "refuse"})
    assert "该延期申请已审批" in page(triage, "/console/extensions")


def test_a_refused_extension_leaves_the_due_day(app, db, assigned, people):
    wb, triage = people["wb"], people["triage"]
    post(wb, f"/console/assignments/{assigned}/extension", {"days": "2", "reason": "材料较多"})
    request_id = db.session.query(ExtensionRequest.id).scalar()
    post(triage, f"/console/extensions/{request_id}/decision", {"decision": "refuse", "note": "期限充足"})
    assert "已不同意延期" in page(triage, "/console/extensions")
    assert "期限充足" in page(triage, "/console/extensions?status=refused")
    assert "2026-10-21" in page(wb, f"/console/assignments/{assigned}")


def test_report_with_files_is_verified_side_by_side_sent_back_once_then_accepted(app, db, assigned, people, jpeg_bytes):
    wb, triage, viewer = people["wb"], people["triage"], people["viewer"]
    url = f"/console/assignments/{assigned}"
    post(wb, f"{url}/acknowledge")
    report(wb, url, [(io.BytesIO(pdf_bytes()), "整改通知.pdf"), (io.BytesIO(jpeg_bytes()), "现场照片.jpg")])
    first = db.session.query(RectificationReport.id).scalar()

    listing = page(triage, "/console/verifications")
    assert "共 1 条" in listing and f'href="/console/verifications/{first}"' in listing
    html = page(triage, f"/console/verifications/{first}")
    assert MEETING in html and "清理会议参会范围" in html  # the complaint and the report side by side
    assert "PDF，2 页" in html and "图片，64×48" in html
    files = re.findall(r'href="(/console/report-files/[0-9a-f]{32})"', html)
    assert [triage.get(f).mimetype for f in files] == ["application/pdf", "image/jpeg"]
    assert "第一次整改反馈" in html

    html = page(viewer, f"/console/verifications/{first}")
    assert MEETING in html and "对账销号</button>" not in html
    post(viewer, f"/console/verifications/{first}/verdict", {"verdict": "accept"}, status=403)
    post(wb, f"/console/verifications/{first}/verdict", {"verdict": "accept"}, status=403)

    post(triage, f"/console/verifications/{first}/verdict", {"verdict": "send_back", "note": ""})
    assert "退回返工须写明理由" in page(triage, f"/console/verifications/{first}")
    assert db.session.get(RectificationReport, first).verdict == "pending"
    post(triage, f"/console/verifications/{first}/verdict", {"verdict": "send_back", "note": "请附印发的通知原文"})
    assert "已退回返工" in page(triage, f"/console/verifications/{first}")
    db.session.expire_all()
    assert db.session.get(Assignment, assigned).status == "sent_back"

    html = page(wb, url)
    assert "请附印发的通知原文" in html and "返工" in text(html) and "退回返工" in text(html)
    report(wb, url, [(io.BytesIO(pdf_bytes(pages=1)), "通知原文.pdf")], result="已印发通知，原文附后")
    second = max(r.id for r in db.session.query(RectificationReport))
    html = page(triage, f"/console/verifications/{second}")
    assert "已印发通知，原文附后" in html and "请附印发的通知原文" in html  # the send-back history
    assert "PDF，1 页" in html and "PDF，2 页" in html  # this report's file, and the earlier one's
    post(triage, f"/console/verifications/{second}/verdict", {"verdict": "accept", "note": "整改到位"})
    assert "已对账销号" in page(triage, f"/console/verifications/{second}")
    db.session.expire_all()
    assert db.session.get(Assignment, assigned).status == "accepted"
    assert "共 1 条" in page(triage, "/console/verifications?verdict=accepted")
    assert "共 1 条" in page(triage, "/console/verifications?verdict=sent_back")
    assert "已销号" in text(page(wb, url))


def test_pages_for_the_org_department_are_closed_to_departments(app, db, assigned, people):
    for path in ("/console/extensions", "/console/verifications"):
        assert people["wb"].get(path).status_code == 403
    home = page(people["wb"], "/console/")
    assert 'href="/console/extensions"' not in home and 'href="/console/verifications"' not in home
