"""A loopback enterprise-WeChat group robot, following its documented webhook contract.

``POST /cgi-bin/webhook/send?key=KEY`` with JSON ``{"msgtype": "text", "text": {"content": "…"}}``
answers HTTP 200 with ``{"errcode": 0, "errmsg": "ok"}``; an unknown key gives errcode 93000
(invalid webhook url), a bad body 40008 (invalid message type) or 44004 (empty content), text
over 2048 bytes 40058. Tests can make it fail the next N requests (errcode -1 "system busy",
or an HTTP status) or every request, then read what it ``delivered``.
"""

from __future__ import annotations

import json
import threading
from urllib.parse import parse_qs, urlparse

from tests.support.loopback import JsonHandler, LoopbackServer


class FakeRobot(LoopbackServer):
    def __init__(self, key: str = "test-robot-key") -> None:
        self.key = key
        self.delivered: list[str] = []  # contents of messages it accepted
        self.requests = 0
        self._failures: list[tuple[int, dict]] = []
        self.always_fail: tuple[int, dict] | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"{self.origin}/cgi-bin/webhook/send?key={self.key}"

    def fail_next(self, times: int, *, status: int = 200, errcode: int = -1, errmsg: str = "system busy") -> None:
        with self._lock:
            self._failures += [(status, {"errcode": errcode, "errmsg": errmsg})] * times

    def fail_always(self, *, status: int = 200, errcode: int = -1, errmsg: str = "system busy") -> None:
        self.always_fail = (status, {"errcode": errcode, "errmsg": errmsg})

    def reset(self) -> None:
        with self._lock:
            self.delivered.clear()
            self._failures.clear()
            self.always_fail = None
            self.requests = 0

    def reply_for(self, key: str, raw: bytes) -> tuple[int, dict]:
        with self._lock:
            self.requests += 1
            if self.always_fail:
                return self.always_fail
            if self._failures:
                return self._failures.pop(0)
            if key != self.key:
                return 200, {"errcode": 93000, "errmsg": "invalid webhook url"}
            try:
                body = json.loads(raw)
            except ValueError:
                return 200, {"errcode": 40008, "errmsg": "invalid message type"}
            text = body.get("text") if isinstance(body, dict) and body.get("msgtype") == "text" else None
            content = text.get("content") if isinstance(text, dict) else None
            if not isinstance(content, str):
                return 200, {"errcode": 40008, "errmsg": "invalid message type"}
            if not content:
                return 200, {"errcode": 44004, "errmsg": "empty content"}
            if len(content.encode("utf-8")) > 2048:
                return 200, {"errcode": 40058, "errmsg": "content exceed max length"}
            self.delivered.append(content)
            return 200, {"errcode": 0, "errmsg": "ok"}

    def start(self) -> FakeRobot:
        robot = self

        class Handler(JsonHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server API)
                url = urlparse(self.path)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if url.path != "/cgi-bin/webhook/send":
                    status, reply = 404, {"errcode": 404, "errmsg": "not found"}
                else:
                    status, reply = robot.reply_for(parse_qs(url.query).get("key", [""])[0], raw)
                self.send_json(status, reply)

        self.serve(Handler)
        return self
