"""A loopback HTTP server that follows WeChat's documented auth.code2Session contract.

``GET /sns/jscode2session?appid&secret&js_code&grant_type=authorization_code``
answers 200 with JSON: ``{"openid", "session_key"}`` on success or
``{"errcode", "errmsg"}``. A code is valid once (40163 when reused), unknown
codes give 40029, a wrong appid/secret gives 40013/40125. Tests can queue
special replies (-1 busy, 45011 rate limit) for a code.
"""

from __future__ import annotations

import secrets
import threading
from urllib.parse import parse_qs, urlparse

from tests.support.loopback import JsonHandler, LoopbackServer


class FakeWeChat(LoopbackServer):
    def __init__(self, appid: str, secret: str) -> None:
        self.appid = appid
        self.secret = secret
        self.codes: dict[str, dict] = {}
        self.used: set[str] = set()
        self.requests: list[dict] = []
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return self.origin

    def issue_code(self, openid: str) -> str:
        """What wx.login would hand the mini-program for this user."""
        code = secrets.token_hex(16)
        with self._lock:
            self.codes[code] = {"openid": openid, "session_key": secrets.token_urlsafe(16)}
        return code

    def fail_code(self, errcode: int, errmsg: str) -> str:
        code = secrets.token_hex(16)
        with self._lock:
            self.codes[code] = {"errcode": errcode, "errmsg": errmsg}
        return code

    def reply_for(self, params: dict[str, str]) -> dict:
        with self._lock:
            self.requests.append(params)
            if params.get("grant_type") != "authorization_code":
                return {"errcode": 40002, "errmsg": "invalid grant_type"}
            if params.get("appid") != self.appid:
                return {"errcode": 40013, "errmsg": "invalid appid"}
            if params.get("secret") != self.secret:
                return {"errcode": 40125, "errmsg": "invalid appsecret"}
            code = params.get("js_code", "")
            if code in self.used:
                return {"errcode": 40163, "errmsg": "code been used"}
            reply = self.codes.get(code)
            if reply is None:
                return {"errcode": 40029, "errmsg": "invalid code"}
            if "openid" in reply:
                self.used.add(code)
            return dict(reply)

    def start(self) -> FakeWeChat:
        fake = self

        class Handler(JsonHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server API)
                url = urlparse(self.path)
                if url.path != "/sns/jscode2session":
                    self.send_response(404)
                    self.end_headers()
                    return
                params = {k: v[0] for k, v in parse_qs(url.query).items()}
                # WeChat answers JSON with a text/plain content type.
                self.send_json(200, fake.reply_for(params), "text/plain")

        self.serve(Handler)
        return self
