"""交办单 in the console: a handler's list and page, the department's actions, the org department's 免报.

The feedback comes in through the mini-program API and is routed through the service; everything
after that is done by posting the console's own forms, as a person in a browser would.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from feedback.models import Assignment, ExtensionRequest, RectificationReport, ReportAttachment
from tests.support.api import FORMS, MEETING, frozen, route, submit
from tests.support.api import WEDNESDAY_0930 as WED
from tests.support.console import console_client
from tests.support.console_pages import page, post, text
from tests.support.documents import pdf_bytes

CONTACT_PHONE = "13912345678"


@pytest.fixture
def clock(app):
    return frozen(app, WED)


@pytest.fixture
def two(app, db, seeded, client, mp_login, clock):
    """Two feedbacks: a meeting complaint (with a contact) for city-wb and city-tj, a forms one for city-tj."""
    headers = mp_login()
    reply = client.post(
        "/api/mp/v1/feedback",
        headers=headers,
        json={
            "kind": "problem",
            "content": MEETING,
            "anonymous": False,
            "contact": {"name": "王", "phone": CONTACT_PHONE},
        },
    )
    assert reply.status_code == 201, reply.get_json()
    from feedback.services.intake.reporter import feedback_by_receipt

    meeting = feedback_by_receipt(reply.get_json()["receipt"]).id
    _, forms = submit(client, headers, FORMS)
    wb, tj_coop = route(db, meeting, "city-wb", ("city-tj",))
    (tj,) = route(db, forms, "city-tj")
    return {"wb": wb, "tj_coop": tj_coop, "tj": tj}


def test_a_handler_sees_only_the_departments_assignments_with_lights_in_words(app, db, two):
    wb = console_client(app, db, "handler", department_code="city-wb")
    home = page(wb, "/console/")
    assert 'href="/console/my-assignments"' in home and "我的交办单" in home
    html = page(wb, "/console/my-assignments")
    assert "<h1>我的交办单</h1>" in html
    assert f"交办单 {two['wb']}" in html
    assert f"交办单 {two['tj']}" not in html and f"交办单 {two['tj_coop']}" not in html
    assert "共 1 条" in html
    words = text(html)
    assert "正常" in words and "待签收" in words and "2026-10-21" in words  # 15 working days after 09-23 (国庆 rests)
    assert "剩余 15 个工作日" in html
    assert page(wb, "/console/assignments").count("<h1>我的交办单</h1>") == 1  # the same list, same title
    # another department's filter is ignored for a handler: the service scopes by the actor
    assert f"交办单 {two['tj']}" not in page(wb, "/console/assignments?department=city-tj")

    tj = console_client(app, db, "handler", department_code="city-tj")
    html = page(tj, "/console/my-assignments")
    assert "共 2 条" in html and f"交办单 {two['wb']}" not in html


def test_the_lights_say_due_soon_and_overdue_and_the_filter_is_in_the_url(app, db, two, clock):
    triage = console_client(app, db, "triage")
    assert 'href="/console/assignments"' in page(triage, "/console/")  # in the org department's menu
    html = page(triage, "/console/assignments?department=city-tj")
    assert "<h1>交办单</h1>" in html and "共 2 条" in html and f"交办单 {two['wb']}" not in html
    assert 'value="city-tj" selected' in html
    assert "共 3 条" in page(triage, "/console/assignments?due_state=pending")
    assert "共 0 条" in page(triage, "/console/assignments?due_state=overdue")

    clock.freeze(WED + timedelta(days=27))  # Tuesday 10-20: one working day before the due day 10-21
    html = page(triage, "/console/assignments?due_state=due_soon")
    assert "共 3 条" in html and "临期" in text(html)
    clock.freeze(WED + timedelta(days=30))
    html = page(triage, "/console/assignments?due_state=overdue&page=1")
    assert "共 3 条" in html and "超期" in text(html) and "已超期 2 个工作日" in html
    assert "共 0 条" in page(triage, "/console/assignments?due_state=on_time")


def test_handler_pages_show_dates_only_and_no_contact(app, db, two):
    wb = console_client(app, db, "handler", department_code="city-wb")
    html = page(wb, f"/console/assignments/{two['wb']}")
    assert "第" in html and MEETING in html and "2026-09-23" in html
    for hidden in (CONTACT_PHONE, "王", "09:30", "01:30", "openid"):
        assert hidden not in text(html), hidden
    assert not re.search(r"\d{2}:\d{2}", text(html))  # no time of day anywhere
    listing = text(page(wb, "/console/my-assignments"))
    assert CONTACT_PHONE not in listing and not re.search(r"\d{2}:\d{2}", listing)


def test_acknowledge_return_and_extension_by_form(app, db, two):
    wb = console_client(app, db, "handler", department_code="city-wb")
    url = f"/console/assignments/{two['wb']}"
    html = page(wb, url)
    assert f'action="{url}/acknowledge"' in html
    reply = post(wb, f"{url}/acknowledge")
    assert reply.headers["Location"].endswith(url)
    html = page(wb, url)
    assert "已签收，请在办理期限内提交整改反馈" in html and "已签收" in text(html)
    assert db.session.get(Assignment, two["wb"]).status == "acknowledged"

    post(wb, f"{url}/extension", {"days": "12", "reason": "需协调市直多个部门"})
    assert "延期累计不能超过 10 个工作日" in page(wb, url)
    post(wb, f"{url}/extension", {"days": "3", "reason": "需协调市直多个部门"})
    html = page(wb, url)
    assert "延期申请已提交，等待组织部审批" in html and "已有延期申请等待组织部审批" in html
    assert "申请延期 3 个工作日" in text(html)  # in the history

    tj = console_client(app, db, "handler", department_code="city-tj")
    tj_url = f"/console/assignments/{two['tj_coop']}"
    post(tj, f"{tj_url}/return", {"return_reason": ""})
    assert "退回理由" in page(tj, tj_url) and db.session.get(Assignment, two["tj_coop"]).status == "pending"
    post(tj, f"{tj_url}/return", {"return_reason": "会议组织不属于本部门职责"})
    html = page(tj, tj_url)
    assert "已退回，组织部将重新研判" in html and "会议组织不属于本部门职责" in html
    assert db.session.get(Assignment, two["tj_coop"]).status == "returned"


def test_a_handler_cannot_touch_another_departments_assignment(app, db, two):
    tj = console_client(app, db, "handler", department_code="city-tj")
    url = f"/console/assignments/{two['wb']}"
    assert "未找到该交办单" in page(tj, url, 404)
    post(tj, f"{url}/acknowledge", status=404)
    post(tj, f"{url}/extension", {"days": "2", "reason": "x"}, status=404)
    post(tj, f"{url}/report", {"measures": "m", "result": "r"}, status=404)
    db.session.expire_all()
    assert db.session.get(Assignment, two["wb"]).status == "pending"
    assert db.session.scalar(select(ExtensionRequest.id)) is None
    assert db.session.scalar(select(RectificationReport.id)) is None


def test_a_viewer_reads_but_cannot_act(app, db, two):
    viewer = console_client(app, db, "viewer")
    assert "共 3 条" in page(viewer, "/console/assignments")
    html = page(viewer, f"/console/assignments/{two['wb']}")
    assert MEETING in html and "acknowledge" not in html and "免报理由" not in html and CONTACT_PHONE not in html
    reply = post(viewer, f"/console/assignments/{two['wb']}/acknowledge", status=403)
    assert "只有承办部门的办理人员可以办理交办单" in reply.get_data(as_text=True)
    post(viewer, f"/console/assignments/{two['tj_coop']}/waive", {"waive_reason": "x"}, status=403)
    db.session.expire_all()
    assert {db.session.get(Assignment, i).status for i in two.values()} == {"pending"}


def test_triage_waives_a_cooperating_department_with_a_reason(app, db, two):
    triage = console_client(app, db, "triage")
    url = f"/console/assignments/{two['tj_coop']}"
    assert "免报理由" in page(triage, url)
    assert "免报理由" not in page(triage, f"/console/assignments/{two['wb']}")  # the primary cannot be waived
    post(triage, f"{url}/waive", {"waive_reason": ""})
    assert "请写明免报理由" in page(triage, url)
    post(triage, f"{url}/waive", {"waive_reason": "会议由市委办统一清理，统计局无需反馈"})
    html = page(triage, url)
    assert "已决定免报" in html and "会议由市委办统一清理，统计局无需反馈" in html
    assert db.session.get(Assignment, two["tj_coop"]).status == "waived"


def test_a_refused_report_keeps_what_was_typed_and_stores_no_file(app, db, two):
    wb = console_client(app, db, "handler", department_code="city-wb")
    url = f"/console/assignments/{two['wb']}"
    post(wb, f"{url}/acknowledge")
    reply = post(
        wb,
        f"{url}/report",
        {"measures": "精简会议", "result": "", "files": [(io.BytesIO(b"<html>hi</html>"), "a.pdf")]},
        status=422,
        content_type="multipart/form-data",
    )
    html = reply.get_data(as_text=True)
    assert "整改结果应为 1–3000 个字" in html and "精简会议</textarea>" in html and "请重新选择文件" in html
    reply = post(
        wb,
        f"{url}/report",
        {"measures": "精简会议", "result": "已印发", "files": [(io.BytesIO(b"<html>hi</html>"), "a.pdf")]},
        status=422,
        content_type="multipart/form-data",
    )
    assert "仅支持 PDF 文件或" in reply.get_data(as_text=True)
    assert db.session.scalar(select(ReportAttachment.id)) is None
    assert db.session.get(Assignment, two["wb"]).status == "acknowledged"
    assert not [p for p in Path(app.config["UPLOAD_DIR"]).rglob("*") if p.is_file()]


def test_files_over_the_request_limit_are_refused_in_words(app, db, two):
    wb = console_client(app, db, "handler", department_code="city-wb")
    url = f"/console/assignments/{two['wb']}"
    post(wb, f"{url}/acknowledge")
    app.config["MAX_CONTENT_LENGTH"] = 100 * 1024
    reply = post(
        wb,
        f"{url}/report",
        {"measures": "m", "result": "r", "files": [(io.BytesIO(b"%PDF-" + b"0" * 200 * 1024), "big.pdf")]},
        status=413,
        content_type="multipart/form-data",
    )
    assert "一次提交的文件合计不能超过 100 KB" in reply.get_data(as_text=True)
    assert db.session.get(Assignment, two["wb"]).status == "acknowledged"


def test_report_files_reach_only_the_org_department_and_the_department(app, db, two, jpeg_bytes):
    wb = console_client(app, db, "handler", department_code="city-wb")
    url = f"/console/assignments/{two['wb']}"
    post(wb, f"{url}/acknowledge")
    post(
        wb,
        f"{url}/report",
        {
            "measures": "清理会议参会范围",
            "result": "已印发通知",
            "summary": "无农业任务的街道不再参会",
            "files": [(io.BytesIO(pdf_bytes()), "整改通知.pdf"), (io.BytesIO(jpeg_bytes()), "现场.jpg")],
        },
        content_type="multipart/form-data",
    )
    html = page(wb, url)
    assert "整改反馈已提交，等待组织部核验" in html and "PDF，2 页" in html and "图片，64×48" in html
    files = re.findall(r'href="(/console/report-files/[0-9a-f]{32})"', html)
    assert len(files) == 2
    reply = wb.get(files[0])
    assert reply.status_code == 200 and reply.data.startswith(b"%PDF-") and reply.headers["Cache-Control"] == "no-store"
    assert reply.mimetype == "application/pdf" and "inline" in reply.headers["Content-Disposition"]
    triage = console_client(app, db, "triage")
    assert triage.get(files[1]).mimetype == "image/jpeg"
    for other in (
        console_client(app, db, "handler", department_code="city-tj"),
        console_client(app, db, "viewer"),
    ):
        assert other.get(files[0]).status_code == 404


def test_a_provisional_due_day_is_marked_in_words(app, db, seeded, client, mp_login, tmp_path):
    """Assigned 2026-12-17: 15 working days reach into 2027, which has no official schedule here."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    app.config["HOLIDAYS_PATH"] = str(tmp_path / "holidays.yaml")  # absent: statutory holidays only
    frozen(app, datetime(2026, 12, 17, 10, tzinfo=ZoneInfo("Asia/Shanghai")))
    _, fid = submit(client, mp_login())
    (assignment_id,) = route(db, fid, "city-wb")
    wb = console_client(app, db, "handler", department_code="city-wb")
    for url in ("/console/my-assignments", f"/console/assignments/{assignment_id}"):
        html = page(wb, url)
        assert "暂定</span>" in html and "期限暂按法定节假日计算，国务院办公厅公布安排后自动校正" in html


def test_a_large_assignment_list_says_n_plus_alike_in_the_console_and_the_api(app, db, two, client, staff_login):
    """Beyond the count cap both lists say "N+" (exact on request), nearest deadline first."""
    app.config["LIST_COUNT_CAP"] = 2
    triage = console_client(app, db, "triage")
    html = page(triage, "/console/assignments")
    assert "共 2+ 条，第 1 页" in html and "统计准确条数" in html and 'rel="next"' not in html
    assert all(f">交办单 {two[key]}</a>" in html for key in ("wb", "tj_coop", "tj"))
    assert "共 3 条" in page(triage, "/console/assignments?exact=1")
    headers = staff_login("triage")
    api = client.get("/api/staff/v1/assignments", headers=headers).get_json()
    assert (api["total"], api["total_exact"]) == (2, False) and len(api["items"]) == 3
    due = [item["due_at"] for item in api["items"]]
    assert due == sorted(due)
    exact = client.get("/api/staff/v1/assignments", query_string={"exact_total": "true"}, headers=headers).get_json()
    assert (exact["total"], exact["total_exact"]) == (3, True)
    # Under the cap the figure is exact and the pager counts pages, in both.
    wb = staff_login("handler", department_code="city-wb")
    mine = client.get("/api/staff/v1/assignments", headers=wb).get_json()
    assert (mine["total"], mine["total_exact"]) == (1, True)
    assert "共 1 条" in page(console_client(app, db, "handler", department_code="city-wb"), "/console/my-assignments")
