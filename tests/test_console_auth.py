"""Console sessions: log in and out in a browser-like client, CSRF, headers, changing one's password."""

from __future__ import annotations

import re

import pytest

from feedback.services.admin.staff_auth import create_user
from tests.conftest import STAFF_TEST_PASSWORD
from tests.support.console import csrf_of, log_in

NEW_PASSWORD = "Lan-Shan-Qiao-58"


@pytest.fixture
def triage_user(db):
    create_user("zzb-li", STAFF_TEST_PASSWORD, "triage", display_name="李研判")
    db.session.commit()
    return "zzb-li"


def test_pages_need_login_and_come_back_after_it(client, triage_user):
    reply = client.get("/console/password")
    assert reply.status_code == 302 and reply.headers["Location"].startswith("/console/login?next=/console/password")
    login_page = client.get(reply.headers["Location"]).get_data(as_text=True)
    assert "工作人员登录" in login_page and 'name="next" value="/console/password"' in login_page
    done = log_in(client, triage_user, next_page="/console/password")
    assert done.status_code == 302 and done.headers["Location"] == "/console/password"
    cookie = done.headers["Set-Cookie"]
    assert cookie.startswith("tjf_console=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    home = client.get("/console/").get_data(as_text=True)
    assert "李研判" in home and "组织部研判人员" in home


def test_wrong_password_is_answered_in_chinese_without_a_session(client, triage_user):
    reply = log_in(client, triage_user, "Not-The-Password-9")
    assert reply.status_code == 401 and "Set-Cookie" not in reply.headers
    assert "用户名或密码错误" in reply.get_data(as_text=True)
    assert client.get("/console/").status_code == 302


def test_next_never_leaves_the_console(client, triage_user):
    for target in ("https://evil.example/", "//evil.example/x", "/api/staff/v1/feedback", "/console//evil.example"):
        assert log_in(client, triage_user, next_page=target).headers["Location"] == "/console/"


def test_logout_needs_the_forms_csrf_token_and_ends_the_session(client, triage_user):
    log_in(client, triage_user)
    page = client.get("/console/").get_data(as_text=True)
    forged = client.post("/console/logout", data={"csrf_token": "0" * 64})
    assert forged.status_code == 400 and "表单已过期" in forged.get_data(as_text=True)
    assert client.get("/console/").status_code == 200  # still logged in
    out = client.post("/console/logout", data={"csrf_token": csrf_of(page)})
    assert out.status_code == 302 and "reason=logged_out" in out.headers["Location"]
    assert client.get("/console/").status_code == 302
    assert "您已退出登录" in client.get("/console/login?reason=logged_out").get_data(as_text=True)


def test_pages_forbid_framing_caching_and_inline_scripts(client, triage_user):
    log_in(client, triage_user)
    for path in ("/console/", "/console/password", "/console/login", "/console/no-such-page"):
        reply = client.get(path)
        csp = reply.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert reply.headers["Cache-Control"] == "no-store"
        assert "<script>" not in reply.get_data(as_text=True)
    missing = client.get("/console/no-such-page")
    assert missing.status_code == 404 and "页面不存在" in missing.get_data(as_text=True)


def test_changing_ones_password_with_field_messages(client, db, triage_user):
    other = client.application.test_client()
    log_in(other, triage_user)  # a second session, e.g. another office PC
    log_in(client, triage_user)
    token = csrf_of(client.get("/console/password").get_data(as_text=True))

    def change(current, new, again):
        return client.post(
            "/console/password",
            data={"csrf_token": token, "current_password": current, "new_password": new, "new_password_again": again},
        )

    mismatch = change(STAFF_TEST_PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x")
    assert mismatch.status_code == 422 and "两次输入的新密码不一致" in mismatch.get_data(as_text=True)
    weak = change(STAFF_TEST_PASSWORD, "Password1", "Password1")
    assert weak.status_code == 422 and "常见" in weak.get_data(as_text=True)
    wrong = change("Not-The-Password-9", NEW_PASSWORD, NEW_PASSWORD)
    assert wrong.status_code == 422 and "当前密码不正确" in wrong.get_data(as_text=True)
    done = change(STAFF_TEST_PASSWORD, NEW_PASSWORD, NEW_PASSWORD)
    assert done.status_code == 200 and "密码已修改" in done.get_data(as_text=True)
    assert client.get("/console/").status_code == 200  # this session stays
    assert other.get("/console/").status_code == 302  # the other one ended
    assert log_in(other, triage_user, NEW_PASSWORD).status_code == 302


def test_production_cookie_is_host_prefixed_and_secure(app, client, triage_user):
    app.config["FEEDBACK_ENV"] = "production"
    reply = log_in(client, triage_user)
    cookie = reply.headers["Set-Cookie"]
    assert cookie.startswith("__Host-tjf_console=") and "Secure" in cookie and "Path=/" in cookie


def test_sample_accounts_exist_in_development_only(app, runner, seeded):
    refused = runner.invoke(args=["users", "sample"])
    assert refused.exit_code == 1 and "只能在开发环境" in refused.output
    app.config["FEEDBACK_ENV"] = "development"
    made = runner.invoke(args=["users", "sample"])
    assert made.exit_code == 0, made.output
    password = re.search(r"demo-handler\s+密码 (\S+)", made.output).group(1)
    reply = app.test_client().post("/console/login", data={"username": "demo-handler", "password": password})
    assert reply.status_code == 302
    again = runner.invoke(args=["users", "sample"])
    assert again.exit_code == 0 and password not in again.output  # passwords are new each time
