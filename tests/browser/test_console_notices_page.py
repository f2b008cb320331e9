"""我的通知 in a real browser: the count in the menu, the list, 标为已读; no serious axe violation."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from feedback.services.admin.staff_auth import create_user
from feedback.services.intake.reporter import feedback_by_receipt
from feedback.services.intake.submit import submit_feedback
from tests.conftest import STAFF_TEST_PASSWORD
from tests.support.api import FORMS, MEETING, route
from tests.support.axe import serious_violations


def test_a_handler_reads_the_notice_of_a_new_assignment(browser, live_server, db, seeded):
    for content in (MEETING, FORMS):
        body, _ = submit_feedback("browser-notices", {"kind": "problem", "content": content})
        db.session.commit()
        route(db, feedback_by_receipt(body["receipt"]).id, "city-wb")
    create_user("wb-zhang", STAFF_TEST_PASSWORD, "handler", department_code="city-wb", display_name="市委办公室张")
    db.session.commit()

    context = browser.new_context(locale="zh-CN", bypass_csp=True, viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server}/console/login")
    page.get_by_label("用户名").fill("wb-zhang")
    page.get_by_label("密码").fill(STAFF_TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="我的通知 (2)").click()
    page.get_by_role("heading", name="我的通知", exact=True).wait_for()
    assert serious_violations(page) == []
    shots = Path(__file__).resolve().parent.parent.parent / "test-artifacts" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / "console-notices.png"), full_page=True)

    page.get_by_role("button", name=re.compile(r"^将“.+”标为已读$")).first.click()
    page.get_by_text("已标为已读").wait_for()
    expect(page.get_by_role("link", name="我的通知 (1)")).to_be_visible()
    page.get_by_role("button", name="全部标为已读").click()
    page.get_by_text("已全部标为已读").wait_for()
    expect(page.get_by_role("link", name="我的通知 (0)")).to_be_visible()
    page.screenshot(path=str(shots / "console-notices-read.png"), full_page=True)
    context.close()
