"""WeChat server API behind a base URL, so tests can run it against a loopback server.

Documented contract of auth.code2Session: ``GET {base}/sns/jscode2session?appid=
&secret=&js_code=&grant_type=authorization_code`` answers JSON with ``openid``,
``session_key`` (and maybe ``unionid``) on success, or ``errcode``/``errmsg``.
Known codes: 40029 invalid code, 40163 code already used, 45011 rate limit,
40226 high-risk user, -1 system busy.
"""

from __future__ import annotations

from dataclasses import dataclass

import requests


class WeChatError(Exception):
    def __init__(self, errcode: int, errmsg: str = "") -> None:
        super().__init__(f"wechat errcode={errcode}")
        self.errcode = errcode
        self.errmsg = errmsg


class WeChatUnavailable(Exception):
    """Network failure or a reply that is not the documented JSON."""


@dataclass(frozen=True)
class WeChatSession:
    openid: str


class WeChatClient:
    def __init__(self, base_url: str, appid: str, secret: str, timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.appid = appid
        self.secret = secret
        self.timeout = timeout

    def code2session(self, code: str) -> WeChatSession:
        params = {
            "appid": self.appid,
            "secret": self.secret,
            "js_code": code,
            "grant_type": "authorization_code",
        }
        try:
            reply = requests.get(f"{self.base_url}/sns/jscode2session", params=params, timeout=self.timeout)
            reply.raise_for_status()
            data = reply.json()
        except (requests.RequestException, ValueError) as exc:
            raise WeChatUnavailable(type(exc).__name__) from None
        if not isinstance(data, dict):
            raise WeChatUnavailable("unexpected reply")
        errcode = data.get("errcode") or 0
        if errcode != 0:
            raise WeChatError(int(errcode), str(data.get("errmsg", "")))
        openid = data.get("openid")
        if not openid:
            raise WeChatUnavailable("reply without openid")
        # session_key and unionid are deliberately dropped: we keep nothing that identifies the user.
        return WeChatSession(openid=openid)
