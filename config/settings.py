"""Settings per environment, overridable by environment variables.

Nothing here is read at import time: ``load_settings`` builds a plain dict when
the app factory asks for it, so tests can pass overrides without touching the
process environment.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

CONFIG_DIR = Path(__file__).resolve().parent
PROJECT_DIR = CONFIG_DIR.parent
DEFAULT_SECRET = "dev-only-secret-change-me"


class BaseSettings:
    FEEDBACK_ENV = "development"
    SECRET_KEY = DEFAULT_SECRET
    SQLALCHEMY_DATABASE_URI = f"sqlite:///{PROJECT_DIR / 'instance' / 'feedback.db'}"
    # hide_parameters: statement parameters (feedback text, receipt hashes, times) never reach
    # exception text or SQL logging; see feedback.failures for the rest of that rule.
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True, "hide_parameters": True}
    JSON_AS_ASCII = False

    WECHAT_APPID = ""
    WECHAT_SECRET = ""
    WECHAT_API_BASE = "https://api.weixin.qq.com"
    WECHAT_TIMEOUT_SECONDS = 5.0
    # Development shortcut: login codes "dev-..." are accepted without WeChat.
    ALLOW_DEV_LOGIN = False

    MP_TOKEN_TTL_SECONDS = 7200
    TAXONOMY_PATH = str(CONFIG_DIR / "taxonomy.yaml")
    USERDICT_PATH = str(CONFIG_DIR / "userdict.txt")
    # The tagger's learned layer, written by `flask tagger train`; absent file = rules only.
    TAGGER_MODEL_PATH = str(CONFIG_DIR / "tagger_model.json")
    REFERENCE_DIR = str(CONFIG_DIR)
    HOLIDAYS_PATH = str(CONFIG_DIR / "holidays.yaml")
    # Working-day deadlines (DESIGN §4); keys as in feedback.calendar.DEFAULT_DEADLINES.
    DEADLINES: dict[str, int] = {}

    UPLOAD_DIR = str(PROJECT_DIR / "instance" / "uploads")
    UPLOAD_MAX_BYTES = 10 * 1024 * 1024
    REPORT_ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024  # within MAX_CONTENT_LENGTH
    REPORT_ATTACHMENT_MAX_PAGES = 300
    # Pixel floods: decoded pixels per image (larger JPEGs decode scaled down), decodes at once per
    # process, and how long a request waits for a slot before 503.
    IMAGE_MAX_DECODED_PIXELS = 8_000_000
    IMAGE_DECODE_CONCURRENCY = 1
    IMAGE_DECODE_WAIT_SECONDS = 10.0
    MAX_CONTENT_LENGTH = 12 * 1024 * 1024
    ATTACHMENTS_PER_FEEDBACK = 9

    FEEDBACK_MIN_CHARS = 10
    FEEDBACK_MAX_CHARS = 3000
    IDEMPOTENCY_TTL_HOURS = 24
    # Unknown and known receipts answer no sooner than this, so timing tells nothing.
    TRACK_MIN_SECONDS = 0.25

    # Rate limits (feedback/rate_limits.py): keys are keyed hashes that rotate daily; "per day"
    # restarts at midnight Beijing time. memory:// for one host, redis://… for several.
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_STRATEGY = "fixed-window"
    RATELIMIT_HEADERS_ENABLED = True
    # Redis down: count in process memory (logged warning) instead of failing requests.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    # A Redis that does not answer must cost a request half a second, not a worker.
    RATELIMIT_STORAGE_OPTIONS: dict[str, Any] = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
    RATE_LIMIT_KEY_PREFIX = ""
    # Accepted submissions (201) per cadre; every attempt, valid or not, counts against the second.
    RATE_LIMIT_SUBMIT = "5 per minute;30 per day"
    RATE_LIMIT_SUBMIT_ATTEMPTS = "30 per minute;300 per day"
    RATE_LIMIT_TRACK = "10 per minute;100 per day"
    # WeChat login: per client address (hashed, limiter store only) and a ceiling for the whole
    # service that keeps us inside WeChat's code2session quota. Generous per client because
    # mobile carriers put many people behind one IPv4 address.
    RATE_LIMIT_LOGIN_PER_CLIENT = "30 per minute;300 per hour"
    RATE_LIMIT_LOGIN = "1200 per minute"
    RATE_LIMIT_UPLOAD = "30 per minute;200 per day"
    # Staff login attempts per client address.
    RATE_LIMIT_STAFF_LOGIN = "10 per minute"
    # Staff login brakes (services/admin/staff_throttle.py), counted in the rate-limit store.
    STAFF_LOCK_AFTER = "5 per 30 minutes"  # failures per (username, client)
    STAFF_USERNAME_BACKOFF = "20 per hour"  # failures per username, all clients; beyond it:
    STAFF_BACKOFF_PACE = "1 per minute"  # attempts per username
    STAFF_SPRAY_LIMIT = "30 per hour"  # failures per client, all usernames
    # Number of reverse proxies in front of the app that set X-Forwarded-For (0: none, trust nothing).
    PROXY_COUNT = 0
    STAFF_IDLE_MINUTES = 30
    STAFF_SESSION_MAX_HOURS = 12

    # Password hashing cost: argon2-cffi's RFC 9106 low-memory profile (argon2.profiles.RFC_9106_LOW_MEMORY).
    STAFF_ARGON2_TIME_COST = 3
    STAFF_ARGON2_MEMORY_KIB = 64 * 1024
    STAFF_ARGON2_PARALLELISM = 4

    # Scheduler and retention
    JOBS_MISFIRE_GRACE_SECONDS = 3600
    RETENTION_DAYS = 730
    RETENTION_SESSION_DAYS = 7
    RETENTION_JOB_RUN_DAYS = 90

    # Notifications (routing in config/notifications.yaml)
    # Where staff open the console; every notice links to its page under this address.
    CONSOLE_BASE_URL = "http://127.0.0.1:5000"
    NOTIFICATIONS_PATH = str(CONFIG_DIR / "notifications.yaml")
    SMTP_HOST = "localhost"
    SMTP_PORT = 25
    SMTP_USER = ""
    SMTP_PASSWORD = ""
    SMTP_STARTTLS = False
    SMTP_FROM = "noreply@example.org"
    SMTP_TIMEOUT_SECONDS = 10
    WEBHOOK_TIMEOUT_SECONDS = 10
    OUTBOX_MAX_ATTEMPTS = 6
    OUTBOX_BACKOFF_MINUTES = (1, 5, 30, 120, 720)
    OUTBOX_BATCH_SIZE = 50
    OUTBOX_CLAIM_SECONDS = 300
    OUTBOX_RUN_SECONDS = 240

    # Statistics and ledger
    SMALL_CELL_THRESHOLD = 5
    REGION_NAMES: dict[str, str] = {}
    LEDGER_CORRECTION_DAYS = 7

    API_TITLE = "谈减负 反映平台 API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_REDOC_PATH = "docs"
    # Served from the repository (vendored from npm by `make vendor`): the docs work without internet.
    OPENAPI_REDOC_URL = "/static/vendor/redoc/redoc.standalone.js"


class DevelopmentSettings(BaseSettings):
    FEEDBACK_ENV = "development"
    ALLOW_DEV_LOGIN = True


class TestingSettings(BaseSettings):
    FEEDBACK_ENV = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret-not-for-production"
    # A test that forgets to start the loopback WeChat server fails loudly.
    WECHAT_API_BASE = "http://you-forgot-to-start-the-fake-wechat-server.invalid"
    WECHAT_APPID = "wx-test-appid"
    WECHAT_SECRET = "wx-test-secret"
    TRACK_MIN_SECONDS = 0.05
    # Cheap password hashing keeps the suite fast; production keeps argon2's recommended cost.
    STAFF_ARGON2_TIME_COST = 1
    STAFF_ARGON2_MEMORY_KIB = 1024
    STAFF_ARGON2_PARALLELISM = 1


class ProductionSettings(BaseSettings):
    FEEDBACK_ENV = "production"


ENVIRONMENTS: dict[str, type[BaseSettings]] = {
    "development": DevelopmentSettings,
    "testing": TestingSettings,
    "production": ProductionSettings,
}

# Environment variables that override a setting of the same name (or the mapped one).
ENV_OVERRIDES = {
    "DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "SECRET_KEY": "SECRET_KEY",
    "WECHAT_APPID": "WECHAT_APPID",
    "WECHAT_SECRET": "WECHAT_SECRET",
    "WECHAT_API_BASE": "WECHAT_API_BASE",
    "UPLOAD_DIR": "UPLOAD_DIR",
    "RATELIMIT_STORAGE_URI": "RATELIMIT_STORAGE_URI",
    "TAXONOMY_PATH": "TAXONOMY_PATH",
    "USERDICT_PATH": "USERDICT_PATH",
    "TAGGER_MODEL_PATH": "TAGGER_MODEL_PATH",
    "REFERENCE_DIR": "REFERENCE_DIR",
    "HOLIDAYS_PATH": "HOLIDAYS_PATH",
    "RATE_LIMIT_SUBMIT": "RATE_LIMIT_SUBMIT",
    "RATE_LIMIT_TRACK": "RATE_LIMIT_TRACK",
    "RATE_LIMIT_LOGIN": "RATE_LIMIT_LOGIN",
    "RATE_LIMIT_LOGIN_PER_CLIENT": "RATE_LIMIT_LOGIN_PER_CLIENT",
    "RATE_LIMIT_SUBMIT_ATTEMPTS": "RATE_LIMIT_SUBMIT_ATTEMPTS",
    "RATE_LIMIT_KEY_PREFIX": "RATE_LIMIT_KEY_PREFIX",
    "PROXY_COUNT": "PROXY_COUNT",
    "STAFF_SESSION_MAX_HOURS": "STAFF_SESSION_MAX_HOURS",
    "RATE_LIMIT_UPLOAD": "RATE_LIMIT_UPLOAD",
    "IMAGE_DECODE_CONCURRENCY": "IMAGE_DECODE_CONCURRENCY",
    "TRACK_MIN_SECONDS": "TRACK_MIN_SECONDS",
    "RATE_LIMIT_STAFF_LOGIN": "RATE_LIMIT_STAFF_LOGIN",
    "RETENTION_DAYS": "RETENTION_DAYS",
    "NOTIFICATIONS_PATH": "NOTIFICATIONS_PATH",
    "CONSOLE_BASE_URL": "CONSOLE_BASE_URL",
    "DEADLINES": "DEADLINES",
    "SMTP_HOST": "SMTP_HOST",
    "SMTP_PORT": "SMTP_PORT",
    "SMTP_USER": "SMTP_USER",
    "SMTP_PASSWORD": "SMTP_PASSWORD",
    "SMTP_STARTTLS": "SMTP_STARTTLS",
    "SMTP_FROM": "SMTP_FROM",
}
# Every value read from the environment is coerced once, here, to the type of the setting's default
# (int, float, bool, tuple); code reads ``current_app.config[KEY]`` and never casts or defaults again.


class SettingsError(RuntimeError):
    """Raised when the settings cannot be used safely; start-up stops."""


def _settings_dict(cls: type[BaseSettings]) -> dict[str, Any]:
    return {k: getattr(cls, k) for k in dir(cls) if k.isupper()}


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _coerce(key: str, text: str, default: Any) -> Any:
    """An environment string as the type of the setting's default; a value that does not fit stops start-up."""
    value = text.strip()
    try:
        if isinstance(default, bool):
            if value.lower() not in _TRUE + _FALSE:
                raise ValueError(value)
            return value.lower() in _TRUE
        if isinstance(default, int):
            return int(value)
        if isinstance(default, float):
            return float(value)
        if isinstance(default, tuple):
            kind = type(default[0]) if default else str
            return tuple(kind(part.strip()) for part in value.split(",") if part.strip())
    except ValueError:
        expected = {bool: "布尔值（true 或 false）", int: "整数", float: "数字", tuple: "逗号分隔的列表"}[type(default)]
        raise SettingsError(f"{key} 应为{expected}，当前为 {text!r}") from None
    return text


def parse_deadlines(text: str) -> dict[str, int]:
    """``DEADLINES="respond_direct=10, respond_consult=25"`` → {"respond_direct": 10, …}; working days."""
    from feedback.calendar import DEFAULT_DEADLINES

    result: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = (s.strip() for s in part.partition("="))
        if not sep or key not in DEFAULT_DEADLINES or not value.isdigit():
            raise SettingsError(
                f"DEADLINES 应写成“名称=工作日数”并用逗号分隔，名称可选 "
                f"{', '.join(DEFAULT_DEADLINES)}；无法识别 {part!r}"
            )
        result[key] = int(value)
    return result


def normalise_database_url(url: str) -> str:
    """Accept the usual postgres:// spellings and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def load_settings(overrides: dict[str, Any] | None = None, environ: dict[str, str] | None = None) -> dict[str, Any]:
    environ = dict(os.environ if environ is None else environ)
    overrides = dict(overrides or {})
    env_name = overrides.get("FEEDBACK_ENV") or environ.get("FEEDBACK_ENV") or "development"
    if env_name not in ENVIRONMENTS:
        raise SettingsError(f"FEEDBACK_ENV 必须是 {', '.join(ENVIRONMENTS)} 之一，当前为 {env_name!r}")
    settings = _settings_dict(ENVIRONMENTS[env_name])
    for var, key in ENV_OVERRIDES.items():
        if environ.get(var):
            settings[key] = (
                parse_deadlines(environ[var]) if key == "DEADLINES" else _coerce(var, environ[var], settings.get(key))
            )
    settings.update(overrides)
    settings["FEEDBACK_ENV"] = env_name
    settings["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(settings["SQLALCHEMY_DATABASE_URI"])
    if env_name == "production":
        _check_production(settings)
    return settings


def _check_production(settings: dict[str, Any]) -> None:
    problems = []
    if not settings.get("SECRET_KEY") or settings["SECRET_KEY"] in (DEFAULT_SECRET, TestingSettings.SECRET_KEY):
        problems.append("SECRET_KEY 未设置或仍为默认值")
    elif len(settings["SECRET_KEY"]) < 32:
        problems.append("SECRET_KEY 过短（至少 32 个字符）")
    if not settings.get("WECHAT_APPID") or not settings.get("WECHAT_SECRET"):
        problems.append("缺少 WECHAT_APPID 或 WECHAT_SECRET")
    if settings.get("ALLOW_DEV_LOGIN"):
        problems.append("生产环境不得开启 ALLOW_DEV_LOGIN")
    if problems:
        raise SettingsError("生产环境配置不安全，拒绝启动：" + "；".join(problems))
