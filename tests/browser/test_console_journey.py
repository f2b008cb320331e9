"""One complaint from submission to rating, across every role, each staff member in their own browser context.

A cadre submits through the mini-program API; triage finds it by full-text search in 收件箱 and routes
it with the department picker; the department's handler (a second browser) acknowledges, asks for an
extension, which triage approves, and reports with a PDF; triage verifies the report and closes the
feedback; the cadre sees it closed with the receipt and rates it (triage sees the rating); a leader (a third
browser) opens the month's analysis: one SVG per chart, each with its table beside it. Screenshots ``journey-*``.

The extension is decided before the report: once a department has reported, its assignment no
longer takes extension decisions (feedback.workflow), so this is the order it happens in real life.
"""

from __future__ import annotations

from datetime import date

import yaml
from playwright.sync_api import expect
from sqlalchemy import select

from feedback.models import Assignment, RectificationReport
from feedback.services.admin.staff_auth import create_user
from feedback.services.handling import deadlines
from feedback.services.reporting import summaries
from tests.browser.conftest import OfflinePage
from tests.conftest import STAFF_TEST_PASSWORD
from tests.support.api import FORMS, MP, WEDNESDAY_0930, frozen, ok, rate, submit
from tests.support.browser import log_in
from tests.support.documents import pdf_bytes

COMPLAINT = "镇里的秸秆禁烧会议要求每个村支书都去陪会，我们村全是山地没有庄稼，一个月陪会四次，耽误了正事。"


def department_name(app, code: str) -> str:
    """The department's name as the sample reference data (config/departments.yaml) spells it."""
    with open(f"{app.config['REFERENCE_DIR']}/departments.yaml", encoding="utf-8") as f:
        return next(d["name"] for d in yaml.safe_load(f)["departments"] if d["code"] == code)


def browser_for(browser, base: str) -> OfflinePage:
    """A separate browser context (own cookies) that may only talk to the live server."""
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    return OfflinePage(page, base)


DUPLICATE_IDS = """() => {
  const seen = {};
  for (const el of document.querySelectorAll('[id]')) seen[el.id] = (seen[el.id] || 0) + 1;
  return Object.keys(seen).filter((id) => seen[id] > 1);
}"""


def shot(view: OfflinePage, name: str) -> None:
    """Check what a person would notice, then save the screenshot for them to look at.

    Nothing pushes the page wider than the window (a table that overflows would), and no id is used
    twice (a label would then name another form's field, for a screen reader and for a click).
    """
    assert view.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
    assert view.page.evaluate(DUPLICATE_IDS) == [], name
    view.screenshot(name)


def test_a_complaint_goes_from_cadre_to_department_and_back_to_a_rating(
    app, db, seeded, client, mp_login, browser, offline_page, tmp_path
):
    frozen(app, WEDNESDAY_0930)
    dept = department_name(app, "city-wb")
    create_user("zzb-zhou", STAFF_TEST_PASSWORD, "triage", display_name="周研判")
    create_user("wb-wu", STAFF_TEST_PASSWORD, "handler", department_code="city-wb", display_name="吴办理")
    create_user("leader-zheng", STAFF_TEST_PASSWORD, "viewer", display_name="郑领导")
    db.session.commit()

    # 1. A cadre submits through the mini-program API (and someone else submits something unrelated).
    cadre = mp_login()
    receipt, fid = submit(client, cadre, COMPLAINT)
    submit(client, mp_login(), FORMS)

    # 2. Triage finds it by full-text search in 收件箱 and routes it with the department picker.
    triage = offline_page
    page = triage.page
    log_in(triage.page, triage.base, "zzb-zhou")
    page.get_by_role("link", name="收件箱").first.click()
    page.get_by_role("heading", name="收件箱").wait_for()
    page.get_by_label("全文搜索").fill("陪会")
    page.get_by_role("button", name="筛选").click()
    page.get_by_text("共 1 条").first.wait_for()
    rows = page.locator("table.inbox tbody tr")
    assert rows.count() == 1 and "陪会" in rows.first.inner_text() and "待研判" in rows.first.inner_text()
    shot(triage, "journey-01-inbox-search")

    page.get_by_role("link", name=f"#{fid}", exact=True).click()
    page.get_by_role("heading", name=f"反映 #{fid}").wait_for()
    page.get_by_label("直接交办（主办部门 + 协办部门）").check()
    page.get_by_label("主办部门（输入名称查找）").fill(dept)
    page.get_by_label("协办部门 1").fill("")  # the form starts from the suggestion; this one goes to one department
    page.get_by_label("交办要求（可选）").fill("请核实陪会情况，精简参会范围")
    page.get_by_role("button", name="交办", exact=True).click()
    page.get_by_text("已交办，相关部门会收到通知").wait_for()
    assert dept in page.locator("#h-assignments + table").inner_text()
    shot(triage, "journey-02-routed")
    db.session.expire_all()
    assignment = db.session.scalars(select(Assignment).where(Assignment.feedback_id == fid)).one()
    assert assignment.department.code == "city-wb"

    # 3. The handler, in a browser of their own, sees it in 我的交办单 with a deadline light in words.
    handler = browser_for(browser, triage.base)
    hpage = handler.page
    log_in(handler.page, handler.base, "wb-wu")
    hpage.get_by_role("link", name="我的交办单").click()
    hpage.get_by_role("heading", name="我的交办单").wait_for()
    row = hpage.get_by_role("row").filter(has_text=f"交办单 {assignment.id}")
    text = row.inner_text()
    assert "正常" in text and "待签收" in text and "剩余" in text and "个工作日" in text
    shot(handler, "journey-03-my-assignments")

    hpage.get_by_role("link", name=f"交办单 {assignment.id}").click()
    hpage.get_by_role("button", name="签收").click()
    hpage.get_by_text("已签收，请在办理期限内提交整改反馈").wait_for()
    hpage.get_by_label("延长工作日数").fill("3")
    hpage.get_by_label("延期理由").fill("需会同各乡镇核实近三个月的陪会记录")
    hpage.get_by_role("button", name="申请延期").click()
    hpage.get_by_text("延期申请已提交，等待组织部审批").wait_for()
    shot(handler, "journey-04-extension-asked")
    db.session.expire_all()
    due_before = deadlines.day_of(db.session.get(Assignment, assignment.id).due_at)

    # 4. Triage approves the extension in 延期审批: the due date moves by three working days.
    page.get_by_role("link", name="延期审批").click()
    page.get_by_role("heading", name="延期审批").wait_for()
    request_row = page.get_by_role("row").filter(has_text=f"交办单 {assignment.id}")
    assert due_before.isoformat() in request_row.inner_text() and "3 个工作日" in request_row.inner_text()
    request_row.get_by_role("button", name="同意延期").click()
    page.get_by_text("已同意延期，办理期限已顺延").wait_for()
    db.session.expire_all()
    due_after = deadlines.day_of(db.session.get(Assignment, assignment.id).due_at)
    assert due_after > due_before
    page.get_by_role("link", name="已同意").click()
    expect(page.get_by_role("row").filter(has_text=f"交办单 {assignment.id}")).to_contain_text(due_after.isoformat())
    shot(triage, "journey-05-extension-approved")

    # 5. The handler sees the new date and submits 整改反馈 with a real PDF upload.
    hpage.reload()
    assert f"{due_after.isoformat()}（已延期 3 个工作日）" in hpage.locator("#h-deadlines + dl").inner_text()
    pdf = tmp_path / "陪会整改通知.pdf"
    pdf.write_bytes(pdf_bytes())
    hpage.get_by_label("整改措施").fill("明确秸秆禁烧会议只请有耕地的村参加，其余村书面传达")
    hpage.get_by_label("整改结果").fill("已印发《关于精简秸秆禁烧会议参会范围的通知》")
    hpage.get_by_label("整改材料（可选）").set_input_files(str(pdf))
    hpage.get_by_role("button", name="提交整改反馈").click()
    hpage.get_by_text("整改反馈已提交，等待组织部核验").wait_for()
    expect(hpage.get_by_role("link", name="附件 1（PDF，2 页")).to_be_visible()
    shot(handler, "journey-06-reported")

    # 6. Triage verifies the report beside the complaint (accept), then closes the feedback.
    page.get_by_role("link", name="整改核验").click()
    page.get_by_role("heading", name="整改核验").wait_for()
    db.session.expire_all()
    reports = select(RectificationReport.id).where(RectificationReport.assignment_id == assignment.id)
    report_id = db.session.scalar(reports)
    page.get_by_role("link", name=f"核验反馈 {report_id}").click()
    page.get_by_role("heading", name="部门整改反馈").wait_for()
    expect(page.get_by_text("陪会四次").first).to_be_visible()  # the complaint, beside the report
    expect(page.get_by_role("link", name="附件 1（PDF，2 页")).to_be_visible()
    shot(triage, "journey-07-verification")
    page.get_by_label("核验意见").fill("整改到位，同意销号")
    page.get_by_role("button", name="对账销号").click()
    page.get_by_text("已对账销号").wait_for()

    page.goto(f"{triage.base}/console/feedback/{fid}")
    page.get_by_label("办结说明（可选，会显示给反映人）").fill("已精简会议参会范围，感谢您的反映")
    page.get_by_role("button", name="办结", exact=True).click()
    page.get_by_text("已办结").first.wait_for()
    assert "已办结" in page.locator("main").inner_text()
    shot(triage, "journey-08-closed")
    assert triage.outside == [] and handler.outside == []
    handler.page.context.close()

    # 7. The cadre sees it closed with the receipt and rates it 满意.
    tracked = ok(client.post(f"{MP}/feedback/track", json={"receipt": receipt}, headers=cadre))
    assert tracked["status"] == "closed" and tracked["status_label"] == "已办结" and tracked["can_rate"]
    assert any("已精简会议参会范围" in (item.get("note") or "") for item in tracked["timeline"])
    rated = ok(rate(client, cadre, receipt, "satisfied"))
    assert rated == {"reopened": False, "status": "closed", "status_label": "已办结"}
    assert not ok(client.post(f"{MP}/feedback/track", json={"receipt": receipt}, headers=cadre))["can_rate"]
    page.reload()
    assert "反映人评价满意" in page.locator("main").inner_text().replace("\n", "").replace("\t", "")

    # 8. The month ends; the monthly job stores September's summary; a leader opens 月度分析.
    frozen(app, WEDNESDAY_0930.replace(month=10, day=9))
    summaries.prepare(date(2026, 9, 1))  # as the 1st-of-month publish job does: earlier months' facts, then the summary
    summaries.generate(date(2026, 9, 1))
    db.session.commit()
    leader = browser_for(browser, triage.base)
    lpage = leader.page
    log_in(leader.page, leader.base, "leader-zheng")
    lpage.get_by_role("link", name="月度分析").click()
    lpage.get_by_role("heading", name="月度分析", exact=True).wait_for()
    if "month=2026-09" not in lpage.url:
        lpage.goto(f"{leader.base}/console/analysis?month=2026-09")
    charts = lpage.locator(".chart[data-chart]")
    drawn = "document.querySelectorAll('.chart[data-chart] svg').length"
    lpage.wait_for_function(f"{drawn} === document.querySelectorAll('.chart[data-chart]').length")
    assert charts.count() >= 6
    for i in range(charts.count()):
        chart = charts.nth(i)
        assert chart.locator("svg").count() == 1
        section = chart.locator("xpath=ancestor::section[1]")
        assert section.locator("table caption").count() == 1
        box, table = chart.bounding_box(), section.locator("table").bounding_box()
        assert abs(table["y"] - box["y"]) < 5 or table["y"] >= box["y"] + box["height"] - 1
    # The department's month, with the cadre's 满意 in it.
    performance = lpage.locator("section").filter(has=lpage.get_by_role("heading", name="部门办理情况"))
    assert "100.0%" in performance.get_by_role("row").filter(has_text=dept).inner_text()
    shot(leader, "journey-09-analysis")
    assert leader.outside == [] and triage.outside == []
    leader.page.context.close()
