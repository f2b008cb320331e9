"""A department's handler works an assignment in Chromium; triage verifies the report with its file.

The handler logs in, opens 我的交办单, acknowledges, asks for an extension and submits a report with
a PDF chosen in the file input; triage then sees the complaint and the report side by side with the
file. The three pages pass an axe-core scan with no serious or critical violation.
"""

from __future__ import annotations

from playwright.sync_api import expect

from feedback.models import RectificationReport
from feedback.services.admin.staff_auth import create_user
from tests.conftest import STAFF_TEST_PASSWORD
from tests.support.api import WEDNESDAY_0930 as WED
from tests.support.api import frozen, route, submit
from tests.support.axe import serious_violations
from tests.support.browser import log_in
from tests.support.documents import pdf_bytes


def test_handler_acknowledges_asks_for_time_and_reports_with_a_file(
    offline_page, app, db, seeded, client, mp_login, tmp_path
):
    frozen(app, WED)
    _, fid = submit(client, mp_login())
    (assignment_id,) = route(db, fid, "city-wb")
    create_user("wb-li", STAFF_TEST_PASSWORD, "handler", department_code="city-wb", display_name="李办理")
    create_user("zzb-zhao", STAFF_TEST_PASSWORD, "triage", display_name="赵研判")
    db.session.commit()
    page, base = offline_page.page, offline_page.base

    log_in(page, base, "wb-li")
    page.get_by_role("link", name="我的交办单").click()
    page.get_by_role("heading", name="我的交办单").wait_for()
    row = page.get_by_role("row").filter(has_text=f"交办单 {assignment_id}")
    assert "正常" in row.inner_text() and "待签收" in row.inner_text()
    offline_page.screenshot("console-my-assignments")

    page.get_by_role("link", name=f"交办单 {assignment_id}").click()
    page.get_by_role("button", name="签收").click()
    page.get_by_text("已签收，请在办理期限内提交整改反馈").wait_for()

    page.get_by_label("延长工作日数").fill("3")
    page.get_by_label("延期理由").fill("需协调市直多个部门核实参会范围")
    page.get_by_role("button", name="申请延期").click()
    page.get_by_text("延期申请已提交，等待组织部审批").wait_for()

    pdf = tmp_path / "整改通知.pdf"
    pdf.write_bytes(pdf_bytes())
    page.get_by_label("整改措施").fill("清理会议参会范围，无农业任务的街道不再参会")
    page.get_by_label("整改结果").fill("已印发《关于精简秸秆禁烧会议的通知》")
    page.get_by_label("整改材料（可选）").set_input_files(str(pdf))
    offline_page.screenshot("console-assignment-detail")
    page.get_by_role("button", name="提交整改反馈").click()
    page.get_by_text("整改反馈已提交，等待组织部核验").wait_for()
    expect(page.get_by_role("link", name="附件 1（PDF，2 页")).to_be_visible()

    page.get_by_role("button", name="退出登录").click()
    log_in(page, base, "zzb-zhao")
    page.get_by_role("link", name="整改核验").click()
    page.get_by_role("heading", name="整改核验").wait_for()
    report_id = db.session.query(RectificationReport.id).scalar()
    page.get_by_role("link", name=f"核验反馈 {report_id}").click()
    page.get_by_role("heading", name="部门整改反馈").wait_for()
    expect(page.get_by_text("已印发《关于精简秸秆禁烧会议的通知》")).to_be_visible()
    expect(page.get_by_role("link", name="附件 1（PDF，2 页")).to_be_visible()
    offline_page.screenshot("console-verification")
    page.get_by_label("核验意见").fill("整改到位")
    page.get_by_role("button", name="对账销号").click()
    page.get_by_text("已对账销号").wait_for()
    assert offline_page.outside == []


def test_assignment_pages_have_no_serious_accessibility_violations(
    browser, live_server, app, db, seeded, client, mp_login
):
    frozen(app, WED)
    _, fid = submit(client, mp_login())
    (assignment_id,) = route(db, fid, "city-wb")
    create_user("wb-axe", STAFF_TEST_PASSWORD, "handler", department_code="city-wb")
    create_user("zzb-axe", STAFF_TEST_PASSWORD, "triage")
    db.session.commit()
    context = browser.new_context(locale="zh-CN", bypass_csp=True, viewport={"width": 1366, "height": 900})
    page = context.new_page()
    log_in(page, live_server, "wb-axe")
    for path in ("/console/my-assignments", f"/console/assignments/{assignment_id}"):
        page.goto(f"{live_server}{path}")
        assert serious_violations(page) == [], path
    page.get_by_role("button", name="退出登录").click()
    log_in(page, live_server, "zzb-axe")
    for path in (
        "/console/assignments",
        f"/console/assignments/{assignment_id}",
        "/console/extensions",
        "/console/verifications",
    ):
        page.goto(f"{live_server}{path}")
        assert serious_violations(page) == [], path
    context.close()
