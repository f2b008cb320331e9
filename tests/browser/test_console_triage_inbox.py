"""Triage opens the 工作台 and finds a complaint in the 收件箱 by full-text search, in Chromium.

(Named to run after test_console_session.py, whose first-login 工作台 shares the console-home shot.)
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from feedback.services.admin.staff_auth import create_user
from tests.conftest import STAFF_TEST_PASSWORD
from tests.support.browser import log_in
from tests.support.worktable import busy_week

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"


def serious_violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']}: {v['help']}" for v in result["violations"] if v["impact"] in ("serious", "critical")]


def test_triage_reads_the_board_and_searches_the_inbox(offline_page, browser, db, app, seeded):
    ids = busy_week(app, db)
    create_user("zzb-li", STAFF_TEST_PASSWORD, "triage", display_name="李研判")
    db.session.commit()
    page, base = offline_page.page, offline_page.base
    log_in(page, base, "zzb-li")
    page.get_by_role("link", name="2 待研判").wait_for()
    board = page.get_by_role("table")
    assert "多次退回" in board.inner_text() and "嵩阳市委办公室" in board.inner_text()
    offline_page.screenshot("console-home")

    page.get_by_role("link", name="2 待研判").click()
    page.get_by_role("heading", name="收件箱").wait_for()
    expect(page.get_by_text("共 2 条").first).to_be_visible()
    page.get_by_label("状态").select_option("")
    page.get_by_label("全文搜索").fill("报表")
    page.evaluate("window.stillTheSamePage = true")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url("**q=%E6%8A%A5%E8%A1%A8**")  # the search is in the URL: the view can be bookmarked
    page.get_by_text("共 2 条").first.wait_for()
    assert page.evaluate("window.stillTheSamePage") is True  # htmx replaced the list, not the page
    rows = page.locator("table.inbox tbody tr")
    assert rows.count() == 2 and all("报表" in rows.nth(i).inner_text() for i in range(2))
    offline_page.screenshot("console-inbox")

    # select the page with the header box (inbox.js), then retag both with one action
    page.get_by_label("全选本页").check()
    assert page.get_by_label(f"选择反映 #{ids['bounced']}").is_checked()
    page.get_by_role("checkbox", name="留痕", exact=True).check()
    page.get_by_role("button", name="修改标签").click()
    page.get_by_role("status").filter(has_text="已修改 2 条反映的标签").wait_for()
    assert "q=%E6%8A%A5%E8%A1%A8" in page.url
    expect(page.get_by_text("共 2 条").first).to_be_visible()
    assert offline_page.outside == []

    # the same two pages pass an axe-core scan (axe is injected, so this context bypasses the CSP)
    context = browser.new_context(locale="zh-CN", bypass_csp=True, viewport={"width": 1366, "height": 900})
    scan = context.new_page()
    log_in(scan, base, "zzb-li")
    assert serious_violations(scan) == []
    scan.goto(f"{base}/console/inbox?q=报表")
    scan.get_by_role("heading", name="收件箱").wait_for()
    assert serious_violations(scan) == []
    context.close()
