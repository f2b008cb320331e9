"""Mini-program login: WeChat code -> short-lived token carrying only a pseudonym."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from feedback.errors import AppError, Forbidden, RateLimited, Unauthorized, UpstreamUnavailable
from feedback.integrations.wechat import WeChatClient, WeChatError, WeChatUnavailable
from feedback.privacy import pseudonym
from feedback.services.keys import purpose_key

TOKEN_SALT = "mp-session-v1"
DEV_CODE_PREFIX = "dev-"


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_in: int


def _serializer() -> URLSafeTimedSerializer:
    return _serializer_for(current_app.config["SECRET_KEY"])


@lru_cache(maxsize=4)
def _serializer_for(secret: str) -> URLSafeTimedSerializer:
    # Made once per secret: building one (it test-serialises to learn its output type) cost every
    # mini-program call 20 µs.
    return URLSafeTimedSerializer(secret, salt=TOKEN_SALT)


def _dev_login_allowed() -> bool:
    cfg = current_app.config
    return cfg["FEEDBACK_ENV"] != "production" and bool(cfg.get("ALLOW_DEV_LOGIN")) and not cfg.get("WECHAT_APPID")


def _openid_for(code: str) -> str:
    if code.startswith(DEV_CODE_PREFIX) and _dev_login_allowed():
        return "dev-openid:" + code
    cfg = current_app.config
    if not cfg.get("WECHAT_APPID") or not cfg.get("WECHAT_SECRET"):
        raise UpstreamUnavailable("微信登录未配置，请联系管理员", code="wechat_not_configured")
    client = WeChatClient(
        cfg["WECHAT_API_BASE"], cfg["WECHAT_APPID"], cfg["WECHAT_SECRET"], timeout=float(cfg["WECHAT_TIMEOUT_SECONDS"])
    )
    try:
        return client.code2session(code).openid
    except WeChatError as exc:
        raise _translate(exc) from None
    except WeChatUnavailable:
        raise UpstreamUnavailable(
            "暂时无法连接微信服务器，请稍后重试", headers={"Retry-After": "5"}, code="wechat_unavailable"
        ) from None


def _translate(exc: WeChatError) -> AppError:
    if exc.errcode in (40029, 40163):
        return Unauthorized("登录凭证无效或已使用，请重新进入小程序", code="invalid_login_code")
    if exc.errcode == 45011:
        return RateLimited("登录过于频繁，请一分钟后再试", headers={"Retry-After": "60"})
    if exc.errcode == -1:
        return UpstreamUnavailable("微信服务繁忙，请稍后重试", headers={"Retry-After": "3"}, code="wechat_busy")
    if exc.errcode == 40226:
        return Forbidden("该微信账号暂时无法登录", code="wechat_user_blocked")
    return UpstreamUnavailable("微信登录失败，请稍后重试", code="wechat_error")


def login(code: str) -> IssuedToken:
    """The openid lives only in this function's frame; the token keeps a keyed hash of it."""
    openid = _openid_for(code)
    subject = pseudonym(purpose_key("pseudonym"), openid)
    token = _serializer().dumps({"p": subject})
    return IssuedToken(token=token, expires_in=current_app.config["MP_TOKEN_TTL_SECONDS"])


def verify(token: str) -> str:
    """Return the pseudonym the token carries, or raise Unauthorized."""
    try:
        data = _serializer().loads(token, max_age=current_app.config["MP_TOKEN_TTL_SECONDS"])
    except SignatureExpired:
        raise Unauthorized("登录已过期，请重新进入小程序", code="token_expired") from None
    except BadSignature:
        raise Unauthorized("登录凭证无效，请重新进入小程序", code="invalid_token") from None
    subject = data.get("p") if isinstance(data, dict) else None
    if not isinstance(subject, str) or not subject:
        raise Unauthorized("登录凭证无效，请重新进入小程序", code="invalid_token")
    return subject
