"""Start-up refuses unsafe production settings; environment variables override defaults."""

from __future__ import annotations

import pytest

from config.settings import SettingsError, load_settings
from feedback import create_app

GOOD_SECRET = "x" * 40


def test_production_refuses_default_secret():
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        load_settings(environ={"FEEDBACK_ENV": "production", "WECHAT_APPID": "a", "WECHAT_SECRET": "b"})


def test_production_refuses_missing_wechat_credentials():
    with pytest.raises(SettingsError, match="WECHAT_APPID"):
        load_settings(environ={"FEEDBACK_ENV": "production", "SECRET_KEY": GOOD_SECRET})


def test_production_starts_with_real_settings_and_has_no_dev_login(tmp_path, fake_wechat):
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}"}
        | {
            "FEEDBACK_ENV": "production",
            "SECRET_KEY": GOOD_SECRET,
            "WECHAT_APPID": "wx-test-appid",
            "WECHAT_SECRET": "wx-test-secret",
            "WECHAT_API_BASE": fake_wechat.base_url,
        }
    )
    reply = app.test_client().post("/api/mp/v1/session", json={"code": "dev-alice"})
    assert reply.status_code == 401  # passed to WeChat, which does not know the code


def test_environment_variables_override_defaults():
    settings = load_settings(
        environ={
            "FEEDBACK_ENV": "testing",
            "DATABASE_URL": "postgres://u@h/db",
            "WECHAT_API_BASE": "http://127.0.0.1:1",
        }
    )
    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"
    assert settings["WECHAT_API_BASE"] == "http://127.0.0.1:1"


def test_unknown_environment_is_refused():
    with pytest.raises(SettingsError, match="FEEDBACK_ENV"):
        load_settings(environ={"FEEDBACK_ENV": "staging"})


def test_testing_default_wechat_base_fails_loudly():
    assert "you-forgot" in load_settings(environ={"FEEDBACK_ENV": "testing"})["WECHAT_API_BASE"]


def test_environment_strings_are_coerced_once_to_the_type_of_the_default():
    settings = load_settings(
        environ={
            "FEEDBACK_ENV": "testing",
            "PROXY_COUNT": "2",
            "TRACK_MIN_SECONDS": "0.5",
            "SMTP_STARTTLS": "false",
            "SMTP_PORT": "587",
            "RETENTION_DAYS": "365",
            "STAFF_SESSION_MAX_HOURS": "8",
            "SMTP_HOST": "mail.example.org",
        }
    )
    assert settings["PROXY_COUNT"] == 2 and settings["SMTP_PORT"] == 587 and settings["RETENTION_DAYS"] == 365
    assert settings["TRACK_MIN_SECONDS"] == 0.5 and settings["STAFF_SESSION_MAX_HOURS"] == 8
    assert settings["SMTP_STARTTLS"] is False  # "false" is not a true string
    assert load_settings(environ={"FEEDBACK_ENV": "testing", "SMTP_STARTTLS": "yes"})["SMTP_STARTTLS"] is True
    assert settings["SMTP_HOST"] == "mail.example.org"


@pytest.mark.parametrize(
    ("var", "value", "expected"),
    [
        ("PROXY_COUNT", "two", "PROXY_COUNT 应为整数"),
        ("TRACK_MIN_SECONDS", "fast", "TRACK_MIN_SECONDS 应为数字"),
        ("SMTP_STARTTLS", "maybe", "SMTP_STARTTLS 应为布尔值"),
    ],
)
def test_an_environment_value_of_the_wrong_type_stops_start_up(var, value, expected):
    with pytest.raises(SettingsError, match=expected):
        load_settings(environ={"FEEDBACK_ENV": "testing", var: value})


def test_console_base_url_defaults_to_the_development_server_and_is_set_from_the_environment():
    assert load_settings(environ={"FEEDBACK_ENV": "development"})["CONSOLE_BASE_URL"] == "http://127.0.0.1:5000"
    settings = load_settings(environ={"FEEDBACK_ENV": "testing", "CONSOLE_BASE_URL": "https://jianfu.example.gov.cn"})
    assert settings["CONSOLE_BASE_URL"] == "https://jianfu.example.gov.cn"
