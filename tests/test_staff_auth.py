"""Staff accounts: CLI, password policy, login brakes, idle and absolute session lifetimes, roles.

Session time is moved by editing the database (created_at, last_seen_at, expires_at).
Login brakes count in the rate-limit store; a test that needs a window to pass uses a
one-second window. ``db.session.rollback()`` before a check proves that the
request committed what the check reads: requests share the test's session.
"""

from __future__ import annotations

import hashlib
import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from feedback.errors import ValidationFailed
from feedback.models import Department, StaffSession, StaffUser
from feedback.models.base import utcnow
from feedback.services.admin import staff_auth

LOGIN = "/api/staff/v1/auth/login"
ME = "/api/staff/v1/auth/me"
LOGOUT = "/api/staff/v1/auth/logout"
PASSWORD = "/api/staff/v1/auth/password"
GOOD = "Ruo-Kou-Ling-7"


def make_user(db, username="alice", role="triage", password=GOOD, **binding) -> StaffUser:
    user = staff_auth.create_user(username, password, role, **binding)
    db.session.commit()
    return user


def post_login(client, username="alice", password=GOOD, addr="127.0.0.1"):
    return client.post(LOGIN, json={"username": username, "password": password}, environ_base={"REMOTE_ADDR": addr})


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
    result = runner.invoke(
        args=["users", "create", "Alice", "--role", "triage", "--password", GOOD, "--display-name", "组织部 研判一"]
    )
    assert result.exit_code == 0, result.output
    assert "已创建账号 alice" in result.output
    reply = post_login(client, "ALICE ")
    body = reply.get_json()
    assert reply.status_code == 200 and body["role"] == "triage" and body["expires_in"] == 1800
    assert len(body["token"]) >= 43
    me = client.get(ME, headers=bearer(reply)).get_json()
    assert me == {
        "username": "alice",
        "display_name": "组织部 研判一",
        "role": "triage",
        "department": None,
        "point": None,
    }


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
    for password in ("Huai-shu-3-duo", "qing-shan-lv-9!", "DONG-FENG-LU-18", "Yue-Liang-Wan", "长江黄河Abc12!"):
        staff_auth.check_password_policy(password)
    with pytest.raises(ValidationFailed, match="用户名"):
        staff_auth.check_password_policy("Alice-2026", "alice")


@pytest.mark.parametrize(
    "password",
    ["Password1", "P@ssw0rd", "12345678aA", "Qq123456!", "Woaini1314", "Abcdef12!", "Zzb@2026", "Tanjianfu1!"],
)
def test_common_and_guessable_passwords_are_refused(runner, password):
    with pytest.raises(ValidationFailed) as caught:
        staff_auth.check_password_policy(password, "erin")
    assert caught.value.message == staff_auth.COMMON_PASSWORD and "常见" in caught.value.message
    result = runner.invoke(args=["users", "create", "erin", "--role", "viewer", "--password", password])
    assert result.exit_code == 1 and "过于常见" in result.stderr
    assert staff_auth.find_user("erin") is None


def test_a_password_built_from_the_display_name_is_refused():
    with pytest.raises(ValidationFailed, match="常见"):
        staff_auth.check_password_policy("Zhangweiming1!", "zwm", display_name="zhangweiming")


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


# ---------------------------------------------------------------- login failures and brakes


def test_five_wrong_passwords_from_one_client_stop_that_client_for_thirty_minutes(client, db):
    make_user(db)
    for _ in range(4):
        reply = post_login(client, password="Wrong-pass1")
        assert reply.status_code == 401 and reply.get_json()["code"] == "invalid_credentials"
    fifth = post_login(client, password="Wrong-pass1")
    assert fifth.status_code == 401 and fifth.get_json()["code"] == "account_locked"
    assert "连续多次登录失败" in fifth.get_json()["message"] and "北京时间" in fifth.get_json()["message"]
    assert 1790 <= int(fifth.headers["Retry-After"]) <= 1800
    right_while_locked = post_login(client)
    assert right_while_locked.status_code == 401 and right_while_locked.get_json()["code"] == "account_locked"


def test_a_stranger_cannot_lock_the_owner_out(client, db):
    make_user(db)
    for _ in range(12):
        post_login(client, password="Wrong-pass1", addr="198.51.100.66")
    owner = post_login(client, addr="203.0.113.5")
    assert owner.status_code == 200, owner.get_json()


def test_the_lock_ends_when_its_window_does(app, client, db):
    app.config["STAFF_LOCK_AFTER"] = "5 per 2 seconds"
    make_user(db)
    for _ in range(5):
        post_login(client, password="Wrong-pass1")
    assert post_login(client).get_json()["code"] == "account_locked"
    time.sleep(2.1)
    assert post_login(client).status_code == 200


def test_locked_and_unknown_usernames_answer_alike_in_words_and_time(app, client, db):
    # Production's argon2 cost, so a skipped verification would show in the timing.
    app.config.update(STAFF_ARGON2_TIME_COST=3, STAFF_ARGON2_MEMORY_KIB=65536, STAFF_ARGON2_PARALLELISM=4)
    make_user(db)
    timings: dict[str, list[float]] = {"alice": [], "nobody-here": []}
    replies = {}
    for n, username in enumerate(timings):
        addr = f"198.51.100.{n + 1}"
        for _ in range(5):
            post_login(client, username=username, password="Wrong-pass1", addr=addr)
        for _ in range(3):
            started = time.perf_counter()
            replies[username] = post_login(client, username=username, password="Wrong-pass1", addr=addr)
            timings[username].append(time.perf_counter() - started)

    def strip(r):
        # The lock's end is told as a clock time; the two locks began seconds apart, so a minute
        # may turn between them (seen in CI on a slow machine): the words must agree, not the minute.
        body = {k: re.sub(r"\d\d:\d\d", "HH:MM", v) if isinstance(v, str) else v for k, v in r.get_json().items()}
        body.pop("request_id", None)
        return (body, r.status_code, sorted(r.headers.keys()))

    assert strip(replies["alice"]) == strip(replies["nobody-here"])
    assert replies["alice"].get_json()["code"] == "account_locked"
    started = time.perf_counter()
    post_login(client, username="someone-else", password="Wrong-pass1", addr="198.51.100.9")  # one verification
    verification = time.perf_counter() - started
    known, unknown = sorted(timings["alice"])[1], sorted(timings["nobody-here"])[1]
    assert abs(known - unknown) < verification / 2, (known, unknown, verification)


def test_success_resets_the_failure_counter(client, db):
    make_user(db)
    for _ in range(4):
        post_login(client, password="Wrong-pass1")
    assert post_login(client).status_code == 200
    for _ in range(4):
        assert post_login(client, password="Wrong-pass1").get_json()["code"] == "invalid_credentials"


def test_reset_password_lifts_the_lock_and_ends_sessions(runner, client, db):
    make_user(db)
    old = bearer(post_login(client))
    for _ in range(5):
        post_login(client, password="Wrong-pass1")
    assert post_login(client).get_json()["code"] == "account_locked"
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


def test_login_attempts_are_limited_per_client_not_per_username(client, db):
    make_user(db)
    for i in range(10):
        assert post_login(client, username=f"guess-{i}", password="Wrong-pass1").status_code == 401
    limited = post_login(client, password="Wrong-pass1")
    assert limited.status_code == 429 and limited.get_json()["code"] == "rate_limited"
    assert post_login(client, addr="203.0.113.9").status_code == 200


def test_password_spraying_across_usernames_is_braked(app, client, db):
    app.config["RATE_LIMIT_STAFF_LOGIN"] = "100 per minute"  # the slower failure budget alone
    statuses = [post_login(client, username=f"user{i:02d}", password="Spring-2026!").status_code for i in range(40)]
    assert statuses[:30] == [401] * 30 and set(statuses[30:]) == {429}


def test_guessing_one_username_from_many_clients_slows_to_a_crawl_but_never_locks(app, client, db):
    app.config.update(STAFF_USERNAME_BACKOFF="6 per hour", STAFF_BACKOFF_PACE="1 per minute")
    make_user(db)
    for i in range(6):
        assert post_login(client, password="Wrong-pass1", addr=f"198.51.100.{i + 1}").status_code == 401
    first = post_login(client, addr="203.0.113.7")  # takes the minute's one attempt
    assert first.status_code == 200
    second = post_login(client, password="Wrong-pass1", addr="198.51.100.50")
    assert second.status_code == 429 and "秒后再试" in second.get_json()["message"]
    assert 1 <= int(second.headers["Retry-After"]) <= 60


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


def test_a_busy_session_still_ends_twelve_hours_after_login(client, db):
    make_user(db)
    headers = bearer(post_login(client))
    (session,) = sessions_of(db)
    session.created_at = utcnow() - timedelta(hours=11, minutes=50)
    session.last_seen_at = utcnow() - timedelta(minutes=2)
    db.session.commit()
    assert client.get(ME, headers=headers).status_code == 200
    slid = sessions_of(db)[0]  # the idle slide stops at the absolute end
    assert slid.expires_at <= slid.created_at + timedelta(hours=12)
    slid.created_at = utcnow() - timedelta(hours=12, seconds=1)
    db.session.commit()
    reply = client.get(ME, headers=headers)
    assert reply.status_code == 401 and reply.get_json()["code"] == "session_too_old"
    assert "12 小时" in reply.get_json()["message"]


def test_staff_change_their_own_password(client, db):
    make_user(db)
    here, elsewhere = bearer(post_login(client)), bearer(post_login(client, addr="203.0.113.8"))
    wrong = client.post(
        PASSWORD, headers=here, json={"current_password": "Wrong-pass1", "new_password": "Dong-Feng-Lu-18"}
    )
    assert wrong.status_code == 422 and wrong.get_json()["errors"] == {"current_password": ["当前密码不正确"]}
    common = client.post(PASSWORD, headers=here, json={"current_password": GOOD, "new_password": "P@ssw0rd"})
    assert common.status_code == 422 and "常见" in common.get_json()["errors"]["new_password"][0]
    same = client.post(PASSWORD, headers=here, json={"current_password": GOOD, "new_password": GOOD})
    assert same.status_code == 422 and "相同" in same.get_json()["errors"]["new_password"][0]
    assert client.post(PASSWORD, headers=here, json={"current_password": GOOD}).status_code == 422

    done = client.post(PASSWORD, headers=here, json={"current_password": GOOD, "new_password": "Dong-Feng-Lu-18"})
    assert done.status_code == 204
    assert client.get(ME, headers=here).status_code == 200  # this session stays
    assert client.get(ME, headers=elsewhere).get_json()["code"] == "invalid_token"  # the others end
    assert post_login(client, password=GOOD).status_code == 401
    assert post_login(client, password="Dong-Feng-Lu-18").status_code == 200
    assert client.post(PASSWORD, json={"current_password": "x", "new_password": "y"}).status_code == 401


def test_guessing_the_current_password_with_a_stolen_token_is_braked(client, db):
    make_user(db)
    headers = bearer(post_login(client))
    codes = [
        client.post(
            PASSWORD, headers=headers, json={"current_password": f"Guess-{i}-x", "new_password": "Dong-Feng-Lu-18"}
        ).get_json()["code"]
        for i in range(6)
    ]
    assert codes[:4] == ["validation_error"] * 4 and codes[4:] == ["account_locked"] * 2


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
    for path in (LOGIN, LOGOUT, ME, PASSWORD):
        assert path in paths


def test_a_staff_write_with_a_due_idle_slide_commits_once(app, client, db):
    """The slide rides in the request's one transaction instead of a commit of its own."""
    make_user(db)
    headers = bearer(post_login(client))
    session = sessions_of(db)[0]
    session.last_seen_at = utcnow() - timedelta(minutes=25)
    db.session.commit()
    commits = []
    listener = lambda conn: commits.append(1)  # noqa: E731
    event.listen(db.engine, "commit", listener)
    try:
        assert client.post(LOGOUT, headers=headers).status_code == 204
    finally:
        event.remove(db.engine, "commit", listener)
    assert len(commits) == 1
    slid = sessions_of(db)[0]
    assert slid.revoked and utcnow() - slid.last_seen_at < timedelta(seconds=5)
