"""Request ids and access logs that keep the anonymity promise.

Lines for ``/api/mp/*`` carry method, path, status, duration and request id
only: no IP address, no user agent, no body, no query string. Their request id is always
generated here, never taken from the client (``X-Request-ID`` is honoured for staff only).
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, g, request

access_log = logging.getLogger("feedback.access")
MP_PREFIX = "/api/mp/"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")


class _NoMiniProgramLines(logging.Filter):
    """The development server logs the client address; drop its mini-program lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            return MP_PREFIX not in record.getMessage()
        except Exception:  # a malformed record is not ours to judge
            return True


def is_mini_program_request() -> bool:
    return request.path.startswith(MP_PREFIX)


def init_request_logging(app: Flask) -> None:
    # Pillow logs every EXIF tag it reads at DEBUG: GPS and device names must not reach the logs.
    pil_log = logging.getLogger("PIL")
    if pil_log.level < logging.INFO:  # NOTSET would inherit a DEBUG root
        pil_log.setLevel(logging.INFO)
    # Flask-Limiter logs each breach with its key at INFO; keys stay in the limiter store.
    limiter_log = logging.getLogger("flask-limiter")
    if limiter_log.level < logging.WARNING:
        limiter_log.setLevel(logging.WARNING)
    werkzeug_log = logging.getLogger("werkzeug")
    if not any(isinstance(f, _NoMiniProgramLines) for f in werkzeug_log.filters):
        werkzeug_log.addFilter(_NoMiniProgramLines())

    @app.before_request
    def _start() -> None:
        # A client-chosen id would tie one person's login, upload, submission and tracking
        # together in our logs; mini-program requests always get a fresh id of ours.
        incoming = "" if is_mini_program_request() else request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        elapsed_ms = (time.perf_counter() - g.get("request_started", time.perf_counter())) * 1000
        if is_mini_program_request():
            access_log.info(
                "%s %s %s %.1fms rid=%s",
                request.method,
                request.path,
                response.status_code,
                elapsed_ms,
                g.get("request_id"),
            )
        else:
            access_log.info(
                "%s %s %s %.1fms rid=%s addr=%s",
                request.method,
                request.path,
                response.status_code,
                elapsed_ms,
                g.get("request_id"),
                request.remote_addr,
            )
        return response
