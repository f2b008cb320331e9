"""The console's pages pass an axe-core scan with no serious or critical violation, and render for a person."""

from __future__ import annotations

from pathlib import Path

from feedback.services.admin.staff_auth import create_user
from tests.conftest import STAFF_TEST_PASSWORD
from tests.support.axe import serious_violations

PAGES = [("/console/", "工作台"), ("/console/password", "修改密码"), ("/console/system", "系统状态")]


def test_main_pages_have_no_serious_accessibility_violations(browser, live_server, db):
    create_user("it-admin", STAFF_TEST_PASSWORD, "admin", display_name="系统管理员甲")
    db.session.commit()
    # axe is injected by the test, so this context alone lets it past the pages' script-src 'self'.
    context = browser.new_context(locale="zh-CN", bypass_csp=True, viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server}/console/login")
    assert serious_violations(page) == []
    page.get_by_label("用户名").fill("it-admin")
    page.get_by_label("密码").fill(STAFF_TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("heading", name="工作台").wait_for()
    for path, heading in PAGES:
        page.goto(f"{live_server}{path}")
        page.get_by_role("heading", name=heading, exact=True).wait_for()
        assert serious_violations(page) == [], path
    page.goto(f"{live_server}/console/system")
    shots = Path(__file__).resolve().parent.parent.parent / "test-artifacts" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / "console-system.png"), full_page=True)
    context.close()
