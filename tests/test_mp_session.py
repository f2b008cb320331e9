"""Login through the loopback WeChat server, and what each WeChat answer means to the cadre."""

from __future__ import annotations

import pytest

from feedback import create_app


def test_login_returns_token_that_opens_the_api(client, fake_wechat):
    code = fake_wechat.issue_code("o-login-user")
    reply = client.post("/api/mp/v1/session", json={"code": code})
    assert reply.status_code == 200
    body = reply.get_json()
    assert body["expires_in"] == 7200
    assert "o-login-user" not in body["token"]
    sent = fake_wechat.requests[-1]
    assert sent == {
        "appid": "wx-test-appid",
        "secret": "wx-test-secret",
        "js_code": code,
        "grant_type": "authorization_code",
    }
    track = client.post(
        "/api/mp/v1/feedback/track",
        json={"receipt": "AAAA-AAAA-AAAA-AAAA-AAAA"},
        headers={"Authorization": f"Bearer {body['token']}"},
    )
    assert track.status_code == 404  # authenticated, just no such receipt


def test_same_user_gets_same_pseudonym_different_users_differ(client, fake_wechat):
    from feedback.services.intake.session import verify

    tokens = []
    for openid in ("o-a", "o-a", "o-b"):
        reply = client.post("/api/mp/v1/session", json={"code": fake_wechat.issue_code(openid)})
        tokens.append(verify(reply.get_json()["token"]))
    assert tokens[0] == tokens[1] != tokens[2]


def test_used_code_is_401_with_chinese_advice(client, fake_wechat):
    code = fake_wechat.issue_code("o-x")
    assert client.post("/api/mp/v1/session", json={"code": code}).status_code == 200
    again = client.post("/api/mp/v1/session", json={"code": code})
    assert again.status_code == 401
    assert again.get_json()["code"] == "invalid_login_code"
    assert "重新进入小程序" in again.get_json()["message"]


def test_unknown_code_40029_is_401(client):
    reply = client.post("/api/mp/v1/session", json={"code": "not-a-real-code"})
    assert reply.status_code == 401
    assert reply.get_json()["request_id"]


def test_wechat_busy_is_503_with_retry_advice(client, fake_wechat):
    reply = client.post("/api/mp/v1/session", json={"code": fake_wechat.fail_code(-1, "system error")})
    assert reply.status_code == 503
    assert reply.headers["Retry-After"]
    assert "稍后重试" in reply.get_json()["message"]


def test_wechat_rate_limit_is_429(client, fake_wechat):
    reply = client.post("/api/mp/v1/session", json={"code": fake_wechat.fail_code(45011, "api minute-quota")})
    assert reply.status_code == 429
    assert reply.headers["Retry-After"] == "60"


def test_unreachable_wechat_is_503(app, client):
    app.config["WECHAT_API_BASE"] = "http://127.0.0.1:9"  # discard port: nothing listens
    reply = client.post("/api/mp/v1/session", json={"code": "abc"})
    assert reply.status_code == 503
    assert reply.get_json()["code"] == "wechat_unavailable"


def test_missing_code_is_validation_error_in_chinese(client):
    reply = client.post("/api/mp/v1/session", json={})
    assert reply.status_code == 422
    body = reply.get_json()
    assert body["code"] == "validation_error"
    assert body["errors"]["code"] == ["此项为必填项"]


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer not-a-token", "Basic abc"])
def test_api_without_valid_token_is_401(client, header):
    reply = client.post("/api/mp/v1/feedback/track", json={"receipt": "x"}, headers={"Authorization": header})
    assert reply.status_code == 401
    assert reply.get_json()["message"]


def test_expired_token_is_rejected(app, client, mp_login):
    headers = mp_login()
    app.config["MP_TOKEN_TTL_SECONDS"] = -1
    reply = client.post("/api/mp/v1/feedback/track", json={"receipt": "x"}, headers=headers)
    assert reply.status_code == 401
    assert reply.get_json()["code"] == "token_expired"


def test_dev_codes_log_in_only_in_development_without_appid(tmp_path):
    dev = create_app(
        {
            "FEEDBACK_ENV": "development",
            "WECHAT_APPID": "",
            "WECHAT_SECRET": "",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'dev.db'}",
        }
    )
    assert dev.test_client().post("/api/mp/v1/session", json={"code": "dev-alice"}).status_code == 200
    testing = create_app(
        {
            "FEEDBACK_ENV": "testing",
            "WECHAT_APPID": "",
            "WECHAT_SECRET": "",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 't.db'}",
        }
    )
    reply = testing.test_client().post("/api/mp/v1/session", json={"code": "dev-alice"})
    assert reply.status_code == 503
    assert reply.get_json()["code"] == "wechat_not_configured"
