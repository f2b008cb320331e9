"""账号管理: the admin creates, disables, unlocks and resets staff accounts in the console."""

from __future__ import annotations

import re

from feedback.models import StaffUser
from tests.conftest import STAFF_TEST_PASSWORD
from tests.support.console import console_client, log_in

OWN_PASSWORD = "Qiyue-Lanhua-2026!"


def _shown_password(html: str) -> str:
    return re.search(r'<code id="new-password">([^<]+)</code>', html).group(1)


def _create(admin, **fields):
    data = {"csrf_token": admin.csrf, "role": "handler", "password_mode": "generate"} | fields
    return admin.post("/console/accounts/new", data=data)


def _account_id(db, username: str) -> int:
    return db.session.query(StaffUser).filter_by(username=username).one().id


def test_admin_creates_a_handler_with_a_generated_password_who_can_then_log_in(app, db, seeded):
    admin = console_client(app, db, "admin")
    form = admin.get("/console/accounts/new").get_data(as_text=True)
    assert "新建账号" in form and 'for="f-username"' in form and "市委办公室" in form and "GC01" in form
    reply = _create(admin, username="city-wb-zhang", display_name="市委办 张科长", department="city-wb")
    html = reply.get_data(as_text=True)
    assert reply.status_code == 200 and "账号已创建" in html and "只显示这一次" in html
    password = _shown_password(html)
    assert len(password) == 19 and "Staff" not in password
    assert password not in admin.get("/console/accounts").get_data(as_text=True)  # shown once, never again

    handler = app.test_client()
    assert log_in(handler, "city-wb-zhang", password).status_code == 302
    home = handler.get("/console/").get_data(as_text=True)
    assert "市委办 张科长" in home

    listing = admin.get("/console/accounts?role=handler").get_data(as_text=True)
    assert "city-wb-zhang" in listing and "职能部门办理人员" in listing and "市委办公室" in listing
    assert f"<code>{admin.username}</code>" not in listing  # filtered by role
    assert "city-wb-zhang" not in admin.get("/console/accounts?active=no").get_data(as_text=True)


def test_a_typed_password_is_checked_and_nothing_typed_is_lost_on_error(app, db, seeded):
    admin = console_client(app, db, "admin")
    reply = _create(
        admin,
        username="Bad Name!",
        display_name="区委组织部 李四",
        role="liaison",
        point="GC01",
        password_mode="typed",
        password=OWN_PASSWORD,
        password_again=OWN_PASSWORD,
    )
    html = reply.get_data(as_text=True)
    assert reply.status_code == 422 and "用户名须为 3–64 位小写字母" in html
    assert 'value="Bad Name!"' in html and 'value="区委组织部 李四"' in html
    assert '<option value="GC01" selected>' in html and '<option value="liaison" selected>' in html
    assert 'value="typed" checked' in html and OWN_PASSWORD not in html  # passwords are never echoed

    missing = _create(admin, username="hdl-nodept", role="handler").get_data(as_text=True)
    assert "职能部门办理人员必须绑定一个部门" in missing and 'aria-invalid="true"' in missing

    weak = _create(
        admin, username="lia-gc01", role="liaison", point="GC01", password_mode="typed", password="Password1"
    )
    assert weak.status_code == 422 and "密码过于常见" in weak.get_data(as_text=True)
    mismatch = _create(
        admin,
        username="lia-gc01",
        role="liaison",
        point="GC01",
        password_mode="typed",
        password=OWN_PASSWORD,
        password_again="other",
    )
    assert "两次输入的密码不一致" in mismatch.get_data(as_text=True)
    made = _create(
        admin,
        username="lia-gc01",
        role="liaison",
        point="GC01",
        password_mode="typed",
        password=OWN_PASSWORD,
        password_again=OWN_PASSWORD,
    )
    assert made.status_code == 200 and OWN_PASSWORD not in made.get_data(as_text=True)
    assert log_in(app.test_client(), "lia-gc01", OWN_PASSWORD).status_code == 302
    taken = _create(admin, username="lia-gc01", role="liaison", point="GC01")
    assert taken.status_code == 409 and "用户名 lia-gc01 已存在" in taken.get_data(as_text=True)


def test_disabling_ends_the_handlers_session_and_enabling_lets_it_log_in_again(app, db, seeded):
    admin = console_client(app, db, "admin")
    handler = console_client(app, db, "handler", department_code="city-wb")
    assert handler.get("/console/").status_code == 200
    user_id = _account_id(db, handler.username)
    reply = admin.post(f"/console/accounts/{user_id}/disable", data={"csrf_token": admin.csrf, "back": "role=handler"})
    assert reply.status_code == 302 and reply.headers["Location"].endswith("/console/accounts?role=handler")
    page = admin.get(reply.headers["Location"]).get_data(as_text=True)
    assert f"已停用账号 {handler.username}" in page and "已停用" in page
    assert handler.get("/console/").headers["Location"].startswith("/console/login")  # the open session ended
    assert "账号已停用" in log_in(app.test_client(), handler.username).get_data(as_text=True)

    admin.post(f"/console/accounts/{user_id}/enable", data={"csrf_token": admin.csrf})
    assert log_in(app.test_client(), handler.username).status_code == 302


def test_an_admin_cannot_disable_their_own_account(app, db):
    admin = console_client(app, db, "admin")
    own = _account_id(db, admin.username)
    assert "停用：" + admin.username not in admin.get("/console/accounts").get_data(as_text=True)
    reply = admin.post(f"/console/accounts/{own}/disable", data={"csrf_token": admin.csrf})
    assert "不能停用自己正在使用的账号" in admin.get(reply.headers["Location"]).get_data(as_text=True)
    assert admin.get("/console/").status_code == 200


def test_unlock_after_lockout_lets_the_owner_log_in_with_the_same_password(app, db, seeded):
    admin = console_client(app, db, "admin")
    console_client(app, db, "handler", department_code="city-wb", username="locked-out")
    person = app.test_client()
    for _ in range(5):
        log_in(person, "locked-out", "Wrong-Password-9")
    locked = log_in(person, "locked-out")
    assert locked.status_code == 401 and "连续多次登录失败" in locked.get_data(as_text=True)

    reply = admin.post(f"/console/accounts/{_account_id(db, 'locked-out')}/unlock", data={"csrf_token": admin.csrf})
    assert "已解除账号 locked-out 的登录锁定" in admin.get(reply.headers["Location"]).get_data(as_text=True)
    assert log_in(person, "locked-out", STAFF_TEST_PASSWORD).status_code == 302


def test_flask_users_unlock_lifts_the_lock_too(app, db, runner):
    console_client(app, db, "viewer", username="leader-li")
    person = app.test_client()
    for _ in range(5):
        log_in(person, "leader-li", "Wrong-Password-9")
    assert log_in(person, "leader-li").status_code == 401
    result = runner.invoke(args=["users", "unlock", "leader-li"])
    assert result.exit_code == 0 and "已解除账号 leader-li 的登录锁定" in result.output
    assert log_in(person, "leader-li").status_code == 302


def test_reset_shows_a_new_password_once_and_ends_the_old_sessions(app, db, seeded, caplog):
    admin = console_client(app, db, "admin")
    handler = console_client(app, db, "handler", department_code="city-wb")
    user_id = _account_id(db, handler.username)
    with caplog.at_level("DEBUG"):
        reply = admin.post(f"/console/accounts/{user_id}/reset-password", data={"csrf_token": admin.csrf})
    html = reply.get_data(as_text=True)
    assert reply.status_code == 200 and "密码已重设" in html and "只显示这一次" in html
    password = _shown_password(html)
    assert password not in caplog.text and password not in str(reply.headers)
    assert handler.get("/console/").status_code == 302  # the old session ended
    assert log_in(app.test_client(), handler.username, STAFF_TEST_PASSWORD).status_code == 401
    assert log_in(app.test_client(), handler.username, password).status_code == 302
    assert password not in admin.get("/console/accounts").get_data(as_text=True)


def test_non_admins_get_a_403_page_and_no_menu_entry(app, db, seeded):
    for role, extra in (("triage", {}), ("viewer", {}), ("handler", {"department_code": "city-wb"})):
        staff = console_client(app, db, role, **extra)
        page = staff.get("/console/accounts")
        assert page.status_code == 403 and "只有系统管理员可以管理账号" in page.get_data(as_text=True)
        assert staff.get("/console/accounts/new").status_code == 403
        target = _account_id(db, staff.username)
        assert (
            staff.post(f"/console/accounts/{target}/reset-password", data={"csrf_token": staff.csrf}).status_code == 403
        )
        assert 'href="/console/accounts"' not in staff.get("/console/").get_data(as_text=True)
    admin = console_client(app, db, "admin")
    assert 'href="/console/accounts"' in admin.get("/console/").get_data(as_text=True)


def test_forms_without_the_csrf_token_change_nothing(app, db, seeded):
    admin = console_client(app, db, "admin")
    handler = console_client(app, db, "handler", department_code="city-wb")
    reply = admin.post(f"/console/accounts/{_account_id(db, handler.username)}/disable", data={})
    assert reply.status_code == 400
    assert handler.get("/console/").status_code == 200
