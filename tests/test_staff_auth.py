"""Staff accounts: CLI, password policy, lockout, idle sessions, roles.

Time is moved by editing the database (locked_until, last_seen_at, expires_at),
never by sleeping. ``db.session.rollback()`` before a check proves that the
request committed what the check reads: requests share the test's session.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from feedback.errors import ValidationFailed
from feedback.models import Department, StaffSession, StaffUser
from feedback.models.base import utcnow
from feedback.services import staff_auth

LOGIN = "/api/staff/v1/auth/login"
ME = "/api/staff/v1/auth/me"
LOGOUT = "/api/staff/v1/auth/logout"
GOOD = "Abcdef12!"


def make_user(db, username="alice", role="triage", password=GOOD, **binding) -> StaffUser:
    user = staff_auth.create_user(username, password, role, **binding)
    db.session.commit()
    return user


def post_login(client, username="alice", password=GOOD):
    return client.post(LOGIN, json={"username": username, "password": password})


def bearer(reply) -> dict[str, str]:
    assert reply.status_code == 200, reply.get_json()
    return {"Authorization": f"Bearer {reply.get_json()['token']}"}


def user_row(db, username="alice") -> StaffUser:
    db.session.rollback()
    return db.session.scalar(select(StaffUser).where(StaffUser.username == username))


def sessions_of(db, username="alice") -> list[StaffSession]:
    user = user_row(db, username)
    return list(db.session.scalars(select(StaffSession).where(StaffSession.user_id == user.id)))


# ---------------------------------------------------------------- CLI and accounts


def test_cli_creates_user_who_logs_in_and_sees_herself(runner, client):
    result = runner.invoke(args=["users", "create", "Alice", "--role", "triage", "--password", GOOD,
                                 "--display-name", "组织部 研判一"])
    assert result.exit_code == 0, result.output
    assert "已创建账号 alice" in result.output
    reply = post_login(client, "ALICE ")
    body = reply.get_json()
    assert reply.status_code == 200 and body["role"] == "triage" and body["expires_in"] == 1800
    assert len(body["token"]) >= 43
    me = client.get(ME, headers=bearer(reply)).get_json()
    assert me == {"username": "alice", "display_name": "组织部 研判一", "role": "triage",
                  "department": None, "point": None}


def test_cli_prompts_for_the_password_twice(runner, client):
    result = runner.invoke(args=["users", "create", "bob", "--role", "viewer"], input=f"{GOOD}\n{GOOD}\n")
    assert result.exit_code == 0, result.output
    assert GOOD not in result.output
    assert post_login(client, "bob").status_code == 200
    mismatch = runner.invoke(args=["users", "create", "carol", "--role", "viewer"], input=f"{GOOD}\nOther-123\n")
    assert mismatch.exit_code == 1 and "两次输入的密码不一致" in mismatch.stderr
    assert staff_auth.find_user("carol") is None


def test_cli_list_disable_enable_and_errors(runner, db):
    make_user(db)
    listed = runner.invoke(args=["users", "list"])
    assert listed.exit_code == 0 and "alice\ttriage\t-\t正常\t从未登录" in listed.output
    assert runner.invoke(args=["users", "disable", "alice"]).exit_code == 0
    assert "已停用" in runner.invoke(args=["users", "list"]).output
    assert runner.invoke(args=["users", "enable", "alice"]).exit_code == 0
    assert user_row(db).active
    missing = runner.invoke(args=["users", "disable", "nobody"])
    assert missing.exit_code == 1 and "用户 nobody 不存在" in missing.stderr
    taken = runner.invoke(args=["users", "create", "alice", "--role", "viewer", "--password", GOOD])
    assert taken.exit_code == 1 and "已存在" in taken.stderr
    bad_role = runner.invoke(args=["users", "create", "dave", "--role", "boss", "--password", GOOD])
    assert bad_role.exit_code == 1 and "角色无效" in bad_role.stderr


@pytest.mark.parametrize("password", ["Ab1!xyz", "abcdefgh1", "ABCDEFGH!", "abcdEFGH", "12345678!"])
def test_weak_passwords_are_rejected_in_chinese(runner, password):
    with pytest.raises(ValidationFailed) as caught:
        staff_auth.check_password_policy(password)
    assert caught.value.message == staff_auth.PASSWORD_RULE
    result = runner.invoke(args=["users", "create", "erin", "--role", "viewer", "--password", password])
    assert result.exit_code == 1
    assert "至少 8 位" in result.stderr and "至少三类" in result.stderr
    assert staff_auth.find_user("erin") is None


def test_password_policy_accepts_three_classes_and_refuses_the_username():
    for password in ("abcdEF12", "abcdef1!", "ABCDEF1!", "Abcdefg!", "长密码Abc12"):
        staff_auth.check_password_policy(password)
    with pytest.raises(ValidationFailed, match="用户名"):
        staff_auth.check_password_policy("Alice-2026", "alice")


def test_password_is_stored_as_argon2id_and_rehashed_when_parameters_change(app, client, db):
    make_user(db)
    stored = user_row(db).password_hash
    # The testing settings use a cheap cost; production keeps argon2's recommended one.
    assert stored.startswith("$argon2id$v=19$m=1024,t=1,p=1$") and GOOD not in stored
    app.config["STAFF_ARGON2_MEMORY_KIB"] = 32768
    assert post_login(client).status_code == 200
    upgraded = user_row(db).password_hash
    assert upgraded.startswith("$argon2id$v=19$m=32768,t=1,p=1$")
    assert post_login(client).status_code == 200


def test_handler_needs_an_active_department_and_liaison_a_point(seeded, runner, client, db):
    cases = [
        (["hdl1", "--role", "handler"], "必须绑定一个部门"),
        (["hdl2", "--role", "handler", "--department", "no-such"], "部门 no-such 不存在或已停用"),
        (["hdl3", "--role", "handler", "--department", "city-fgw", "--point", "GC01"], "不能绑定观测点"),
        (["lia1", "--role", "liaison"], "必须绑定一个观测点"),
        (["lia2", "--role", "liaison", "--point", "ZZ99"], "观测点 ZZ99 不存在或已停用"),
        (["tri1", "--role", "triage", "--department", "prov-zzb"], "不绑定部门或观测点"),
        (["vie1", "--role", "viewer", "--point", "GC01"], "不绑定部门或观测点"),
    ]
    for args, message in cases:
        result = runner.invoke(args=["users", "create", *args, "--password", GOOD])
        assert result.exit_code == 1 and message in result.stderr, (args, result.output)
    early = runner.invoke(args=["users", "create", "hdl5", "--role", "handler"])  # refused before the prompt
    assert early.exit_code == 1 and "必须绑定一个部门" in early.stderr and "密码" not in early.output
    db.session.scalar(select(Department).where(Department.code == "city-jy")).active = False
    db.session.commit()
    with pytest.raises(ValidationFailed, match="city-jy 不存在或已停用"):
        staff_auth.create_user("hdl4", GOOD, "handler", department_code="city-jy")
    assert db.session.scalars(select(StaffUser)).all() == []


def test_me_shows_the_department_or_the_point(seeded, client, staff_login):
    handler = client.get(ME, headers=staff_login("handler", department_code="city-fgw", username="fgw-1")).get_json()
    assert handler["department"] == {"code": "city-fgw", "name": "嵩阳市发展和改革委员会"}
    assert handler["point"] is None and handler["username"] == "fgw-1"
    liaison = client.get(ME, headers=staff_login("liaison", point_code="GC02")).get_json()
    assert liaison["point"] == {"code": "GC02", "name": "城关区东关街道朝阳社区"} and liaison["department"] is None


# ---------------------------------------------------------------- login failures and lockout


def test_five_wrong_passwords_lock_the_account_for_thirty_minutes(client, db):
    make_user(db)
    for attempt in range(1, 5):
        reply = post_login(client, password="Wrong-pass1")
        assert reply.status_code == 401 and reply.get_json()["code"] == "invalid_credentials"
        assert user_row(db).failed_logins == attempt  # committed despite the 401
    fifth = post_login(client, password="Wrong-pass1")
    assert fifth.status_code == 401 and fifth.get_json()["code"] == "account_locked"
    assert "账号已锁定" in fifth.get_json()["message"] and "北京时间" in fifth.get_json()["message"]
    assert 1790 <= int(fifth.headers["Retry-After"]) <= 1800
    locked_until = user_row(db).locked_until
    assert timedelta(minutes=29) < locked_until - utcnow() <= timedelta(minutes=30)

    right_while_locked = post_login(client)
    assert right_while_locked.status_code == 401 and right_while_locked.get_json()["code"] == "account_locked"

    user_row(db).locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert post_login(client).status_code == 200
    after = user_row(db)
    assert after.failed_logins == 0 and after.locked_until is None and after.last_login_at is not None


def test_success_resets_the_failure_counter(client, db):
    make_user(db)
    for _ in range(4):
        post_login(client, password="Wrong-pass1")
    assert post_login(client).status_code == 200
    assert user_row(db).failed_logins == 0
    for _ in range(4):
        assert post_login(client, password="Wrong-pass1").get_json()["code"] == "invalid_credentials"


def test_reset_password_lifts_the_lock_and_ends_sessions(runner, client, db):
    make_user(db)
    old = bearer(post_login(client))
    for _ in range(5):
        post_login(client, password="Wrong-pass1")
    result = runner.invoke(args=["users", "reset-password", "alice"], input="Newpass-2026\nNewpass-2026\n")
    assert result.exit_code == 0, result.output
    assert client.get(ME, headers=old).get_json()["code"] == "invalid_token"
    assert post_login(client).status_code == 401
    assert post_login(client, password="Newpass-2026").status_code == 200
    weak = runner.invoke(args=["users", "reset-password", "alice", "--password", "weakweak"])
    assert weak.exit_code == 1 and "至少三类" in weak.stderr


def test_unknown_user_answers_exactly_like_a_wrong_password(client, db):
    make_user(db)
    wrong = post_login(client, password="Wrong-pass1")
    unknown = post_login(client, username="nobody")
    assert wrong.status_code == unknown.status_code == 401
    strip = lambda body: {k: v for k, v in body.items() if k != "request_id"}  # noqa: E731
    assert strip(wrong.get_json()) == strip(unknown.get_json())
    assert strip(wrong.get_json()) == {"code": "invalid_credentials", "message": "用户名或密码错误"}
    assert sorted(wrong.headers.keys()) == sorted(unknown.headers.keys())


def test_disabled_user_cannot_log_in_and_open_sessions_stop(runner, client, db):
    make_user(db)
    headers = bearer(post_login(client))
    assert client.get(ME, headers=headers).status_code == 200
    assert runner.invoke(args=["users", "disable", "alice"]).exit_code == 0
    stopped = client.get(ME, headers=headers)
    assert stopped.status_code == 401 and stopped.get_json()["code"] == "invalid_token"
    refused = post_login(client)
    assert refused.status_code == 401 and refused.get_json()["code"] == "account_disabled"
    assert "已停用" in refused.get_json()["message"]
    assert post_login(client, password="Wrong-pass1").get_json()["code"] == "invalid_credentials"


def test_login_is_rate_limited_per_username(client, db):
    make_user(db)
    for _ in range(10):
        assert post_login(client, password="Wrong-pass1").status_code == 401
    limited = post_login(client, password="Wrong-pass1")
    assert limited.status_code == 429 and limited.get_json()["code"] == "rate_limited"
    assert post_login(client, username="someone-else").status_code == 401


def test_login_body_is_validated_in_chinese(client):
    reply = client.post(LOGIN, json={"username": "alice"})
    assert reply.status_code == 422 and reply.get_json()["errors"] == {"password": ["此项为必填项"]}


# ---------------------------------------------------------------- sessions


def test_token_is_stored_only_as_its_sha256(client, db):
    make_user(db)
    token = post_login(client).get_json()["token"]
    (session,) = sessions_of(db)
    assert session.token_hash == hashlib.sha256(token.encode()).hexdigest() and token not in session.token_hash


def test_idle_for_31_minutes_expires_the_token(client, db):
    make_user(db)
    headers = bearer(post_login(client))
    (session,) = sessions_of(db)
    session.last_seen_at = utcnow() - timedelta(minutes=31)
    session.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    reply = client.get(ME, headers=headers)
    assert reply.status_code == 401 and reply.get_json()["code"] == "token_expired"
    assert "重新登录" in reply.get_json()["message"]


def test_activity_slides_the_idle_deadline_at_most_once_a_minute(client, db):
    make_user(db)
    headers = bearer(post_login(client))
    (session,) = sessions_of(db)
    first_seen = session.last_seen_at
    assert client.get(ME, headers=headers).status_code == 200
    assert sessions_of(db)[0].last_seen_at == first_seen  # no write within the minute

    session = sessions_of(db)[0]
    session.last_seen_at = utcnow() - timedelta(minutes=25)
    session.expires_at = utcnow() + timedelta(minutes=5)
    db.session.commit()
    assert client.get(ME, headers=headers).status_code == 200
    slid = sessions_of(db)[0]  # rolled back first: the GET committed the slide
    assert utcnow() - slid.last_seen_at < timedelta(seconds=5)
    assert timedelta(minutes=29) < slid.expires_at - utcnow() <= timedelta(minutes=30)


def test_idle_minutes_come_from_settings(app, client, db):
    app.config["STAFF_IDLE_MINUTES"] = 5
    make_user(db)
    assert post_login(client).get_json()["expires_in"] == 300


def test_logout_revokes_only_that_token(client, db):
    make_user(db)
    first, second = bearer(post_login(client)), bearer(post_login(client))
    assert client.post(LOGOUT, headers=first).status_code == 204
    gone = client.get(ME, headers=first)
    assert gone.status_code == 401 and gone.get_json()["code"] == "invalid_token"
    assert client.get(ME, headers=second).status_code == 200


def test_missing_or_forged_token_is_401(client):
    missing = client.get(ME)
    assert missing.status_code == 401 and missing.get_json()["code"] == "missing_token"
    forged = client.get(ME, headers={"Authorization": "Bearer forged-token"})
    assert forged.status_code == 401 and forged.get_json()["code"] == "invalid_token"


# ---------------------------------------------------------------- roles


def test_require_roles_answers_403_in_chinese(app, client, staff_login):
    from flask import Blueprint

    from feedback.api.staff import current_staff, require_roles, require_staff

    probe = Blueprint("staff_probe", __name__, url_prefix="/api/staff/v1/probe")
    probe.before_request(require_staff)

    @probe.route("/triage-only")
    @require_roles("triage", "admin")
    def triage_only():
        return {"username": current_staff().username}

    app.register_blueprint(probe)
    viewer = client.get("/api/staff/v1/probe/triage-only", headers=staff_login("viewer"))
    assert viewer.status_code == 403
    assert viewer.get_json()["code"] == "forbidden" and "无权" in viewer.get_json()["message"]
    allowed = client.get("/api/staff/v1/probe/triage-only", headers=staff_login("triage", username="tri-1"))
    assert allowed.status_code == 200 and allowed.get_json() == {"username": "tri-1"}
    assert client.get("/api/staff/v1/probe/triage-only").status_code == 401


def test_require_roles_refuses_unknown_role_names():
    from feedback.api.staff import require_roles

    with pytest.raises(ValueError):
        require_roles("boss")


def test_openapi_lists_the_staff_auth_endpoints(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    for path in (LOGIN, LOGOUT, ME):
        assert path in paths
