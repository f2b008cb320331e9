"""HTTP at the edges: bodies that are not JSON, oversized requests, headers that belong only to
some answers, downloads, and formats that must read the same everywhere (issue 8, items 8 and 22).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.support.api import SHAPE, error

MP = "/api/mp/v1"
STAFF = "/api/staff/v1"
ROOT = Path(__file__).resolve().parent.parent


# ------------------------------------------------------------------------------ item 22: bodies


def test_garbage_json_answers_in_chinese(client):
    answer = error(client.post(f"{MP}/session", data=b"{code: oops", content_type="application/json"), 400)
    assert answer["code"] == "invalid_json" and "JSON" in answer["message"] and "Invalid" not in str(answer)
    answer = error(client.post(f"{MP}/session", data=b"\xff\xfe{}", content_type="application/json"), 400)
    assert answer["code"] == "invalid_json"


def test_a_form_encoded_body_is_told_to_send_json(client, staff_login):
    answer = error(client.post(f"{MP}/session", data={"code": "abc"}), 415)
    assert "JSON" in answer["message"] and answer["code"] == "unsupported_media_type"
    answer = error(client.post(f"{STAFF}/auth/login", data="username=a&password=b", content_type="text/plain"), 415)
    assert "Content-Type: application/json" in answer["message"]


def test_an_empty_body_still_lists_the_required_fields(client):
    answer = error(client.post(f"{MP}/session"), 422)
    assert answer["errors"] == {"code": ["此项为必填项"]}


def test_invalid_inbox_status_lists_the_valid_ones(client, staff_login):
    from feedback.models.feedback import FEEDBACK_STATUSES

    answer = error(client.get(f"{STAFF}/feedback?status=open", headers=staff_login("triage")), 422)
    message = answer["errors"]["status"][0]
    assert all(status in message for status in FEEDBACK_STATUSES) and "待研判" in message


# ----------------------------------------------------------------------- item 22: formats and files


def test_month_format_errors_are_422_everywhere_and_404_only_for_a_missing_month(client, seeded, staff_login):
    headers = staff_login("triage")
    for url in (
        f"{STAFF}/summaries/2026-7",
        f"{STAFF}/summaries/2026-13/export.csv",
        f"{STAFF}/ledger/monthly?month=2026-7",
    ):
        answer = error(client.get(url, headers=headers), 422)
        assert "YYYY-MM" in str(answer["errors"]), url
    assert error(client.get(f"{STAFF}/summaries/2026-07", headers=headers), 404)["code"] == "summary_not_found"


def test_ledger_days_are_read_strictly(client, seeded, staff_login):
    app_clock = client.application.extensions["clock"]
    from datetime import UTC, datetime

    app_clock.freeze(datetime(2026, 12, 1, 2, 0, tzinfo=UTC))
    headers = staff_login("liaison", point_code="GC01")
    counts = {k: 0 for k in ("meetings", "irrelevant_meetings", "documents", "inspections", "forms", "checkins")}
    for day in ("20261130xx", "2026-W48-1", "2026-11-3 "):
        answer = error(client.put(f"{STAFF}/ledger/{quote(day)}", json=counts, headers=headers), 422)
        assert answer["errors"] == {"day": ["日期格式应为 YYYY-MM-DD，如 2026-09-23"]}, day
    for query in ("from=20261101", "to=2026-W48-1", "from=2026-11-01T00:00"):
        assert error(client.get(f"{STAFF}/ledger?{query}", headers=headers), 422)["errors"], query
    assert client.put(f"{STAFF}/ledger/2026-11-30", json=counts, headers=headers).status_code == 200


def test_downloads_have_one_charset_and_a_readable_ascii_file_name(app, db, client, seeded, staff_login):
    from feedback.services.reporting import summaries as monthly_summary
    from feedback.services.reporting.monthly_facts import parse_month

    monthly_summary.prepare(parse_month("2026-09"))  # the earlier months' facts, as the job builds them
    monthly_summary.generate(parse_month("2026-09"), force=False)
    db.session.commit()
    headers = staff_login("triage")
    reply = client.get(f"{STAFF}/summaries/2026-09/export.csv", headers=headers)
    assert reply.status_code == 200 and reply.headers["Content-Type"] == "text/csv; charset=utf-8"
    disposition = reply.headers["Content-Disposition"]
    assert 'filename="summary-2026-09.csv"' in disposition
    assert "filename*=UTF-8''" + quote("月度分析-2026-09.csv") in disposition
    reply = client.get(f"{STAFF}/summaries/2026-09/export.xlsx", headers=headers)
    assert 'filename="summary-2026-09.xlsx"' in reply.headers["Content-Disposition"]


# --------------------------------------------------------------------------- items 8, 22: headers


def test_retry_after_only_on_answers_that_ask_to_wait(app, client, mp_login):
    app.config["RATE_LIMIT_TRACK"] = "2 per minute"
    headers = mp_login()
    replies = [client.post(f"{MP}/feedback/track", json={"receipt": "AAAA-BBBB"}, headers=headers) for _ in range(3)]
    assert [r.status_code for r in replies] == [404, 404, 429]
    assert "Retry-After" not in replies[0].headers and "Retry-After" not in replies[1].headers
    assert int(replies[2].headers["Retry-After"]) > 0
    # the limiter refuses before the request log runs; the answer still names its request
    assert error(replies[2], 429)["request_id"] == replies[2].headers["X-Request-ID"] != ""


def test_405_keeps_its_allow_header(client):
    reply = client.get(f"{MP}/feedback")
    assert error(reply, 405)["code"] == "method_not_allowed"
    assert set(reply.headers["Allow"].replace(" ", "").split(",")) >= {"POST", "OPTIONS"}


def test_oversized_url_and_headers_get_our_json_shape(client):
    answer = error(client.get(f"{MP}/feedback/track?q=" + "x" * 5000), 414)
    assert answer["code"] == "uri_too_long" and "网址" in answer["message"]
    answer = error(client.post(f"{MP}/session", json={"code": "x"}, headers={"X-Big": "y" * 9000}), 431)
    assert answer["code"] == "header_too_large"
    many = {f"X-H{i}": "1" for i in range(120)}
    assert error(client.post(f"{MP}/session", json={"code": "x"}, headers=many), 431)["code"] == "header_too_large"


# ------------------------------------------------------------------ item 8: the real gunicorn server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _raw_http(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.fixture
def gunicorn(_migrated, tmp_path, fake_wechat):
    """``gunicorn wsgi:app`` from the project directory, so it reads gunicorn.conf.py like production."""
    port = _free_port()
    env = {
        **os.environ,
        "FEEDBACK_ENV": "testing",
        "DATABASE_URL": _migrated,
        "UPLOAD_DIR": str(tmp_path),
        "WECHAT_API_BASE": fake_wechat.base_url,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(150):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=20)
        process.stderr.close()


def _answer(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


@pytest.mark.subprocess
def test_gunicorn_lets_the_app_answer_oversized_requests_in_json(gunicorn):
    import json

    def post(extra_headers: str = "", path: str = f"{MP}/session") -> tuple[int, dict[str, str], bytes]:
        body = b'{"code":"x"}'
        request = (
            f"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n{extra_headers}\r\n"
        ).encode() + body
        return _answer(_raw_http(gunicorn, request))

    for extra, path, status in (
        (f"X-Big: {'y' * 12000}\r\n", f"{MP}/session", 431),
        ("".join(f"X-H{i}: 1\r\n" for i in range(150)), f"{MP}/session", 431),
        ("", f"{MP}/session?q={'x' * 6000}", 414),
    ):
        code, headers, body = post(extra, path)
        assert code == status and headers["content-type"].startswith("application/json"), (code, body[:200])
        assert set(json.loads(body)) <= SHAPE
