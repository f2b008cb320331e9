"""A staff member logs in, is warned before the idle logout, changes the password and logs out, in Chromium."""

from __future__ import annotations

from playwright.sync_api import expect

from feedback.services.admin.staff_auth import create_user
from tests.conftest import STAFF_TEST_PASSWORD


def test_login_idle_warning_password_and_logout(offline_page, db):
    create_user("zzb-wang", STAFF_TEST_PASSWORD, "triage", display_name="王研判")
    db.session.commit()
    page, base = offline_page.page, offline_page.base
    page.clock.install()
    page.goto(f"{base}/console/")
    assert page.url.startswith(f"{base}/console/login")
    page.get_by_label("用户名").fill("zzb-wang")
    page.get_by_label("密码").fill("Wrong-Password-1")
    page.get_by_role("button", name="登录").click()
    page.get_by_role("alert").filter(has_text="用户名或密码错误").wait_for()
    offline_page.screenshot("console-login-error")
    page.get_by_label("密码").fill(STAFF_TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("heading", name="工作台").wait_for()
    expect(page.get_by_text("组织部研判人员")).to_be_visible()
    expect(page.get_by_text("王研判").first).to_be_visible()
    offline_page.screenshot("console-home")

    # 28 minutes without a request: the warning offers to stay; staying hides it.
    warning = page.locator("#idle-warning")
    assert warning.is_hidden()
    page.clock.run_for("28:30")
    warning.wait_for(state="visible")
    assert "后将自动退出登录" in warning.inner_text()
    offline_page.screenshot("console-idle-warning", full_page=False)
    page.get_by_role("button", name="继续使用").click()
    warning.wait_for(state="hidden")

    page.get_by_role("link", name="修改密码").click()
    page.get_by_label("当前密码").fill(STAFF_TEST_PASSWORD)
    page.get_by_label("新密码", exact=True).fill("Password1")
    page.get_by_label("再次输入新密码").fill("Password1")
    page.get_by_role("button", name="修改密码").click()
    page.locator(".field-error").first.wait_for()
    assert page.get_by_label("新密码", exact=True).get_attribute("aria-invalid") == "true"
    offline_page.screenshot("console-password-errors")

    page.get_by_role("button", name="退出登录").click()
    page.get_by_text("您已退出登录").wait_for()
    page.goto(f"{base}/console/")
    assert page.url.startswith(f"{base}/console/login")
    assert offline_page.outside == []
