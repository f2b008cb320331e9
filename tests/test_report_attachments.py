"""Files a department attaches to its rectification report: a real upload, checked by content.

PDFs are made with pypdf (tests/support/documents.py: with a script, metadata, or encrypted); images come
from the camera-like JPEG fixture. The stored files are read back from UPLOAD_DIR.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from feedback.models import RectificationReport, ReportAttachment
from tests.support.api import STAFF, ok, route, submit
from tests.support.api import WEDNESDAY_0930 as WED
from tests.support.documents import pdf_bytes


@pytest.fixture
def handler(app, seeded, staff_login):
    app.extensions["clock"].freeze(WED)
    return staff_login("handler", department_code="city-wb", username="wb-uploader")


def upload(client, headers, data: bytes, name: str = "材料.pdf"):
    return client.post(
        f"{STAFF}/uploads", headers=headers, data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data"
    )


def stored(app, db, attachment_id: str) -> bytes:
    row = db.session.get(ReportAttachment, attachment_id)
    return (Path(app.config["UPLOAD_DIR"]) / row.storage_name).read_bytes()


def test_a_pdf_is_rebuilt_from_its_pages_without_scripts_or_metadata(app, db, client, handler):
    body = ok(upload(client, handler, pdf_bytes()), 201)
    assert (body["content_type"], body["pages"], body["width"]) == ("application/pdf", 2, None)
    data = stored(app, db, body["id"])
    assert data.startswith(b"%PDF-") and len(PdfReader(io.BytesIO(data)).pages) == 2
    for marker in (b"/JavaScript", b"/JS", b"/AA", "经办人".encode("utf-16-be"), b"SpyOffice"):
        assert marker not in data, marker


def test_an_image_is_re_encoded_like_a_cadres(app, db, client, handler, jpeg_bytes):
    body = ok(upload(client, handler, jpeg_bytes(), "photo.pdf"), 201)  # the name says nothing
    assert (body["content_type"], body["width"], body["height"], body["pages"]) == ("image/jpeg", 64, 48, None)
    assert b"SpyPhone" not in stored(app, db, body["id"])


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"<html><script>alert(1)</script></html>", "仅支持 PDF 文件或"),
        (b"%PDF-1.7\n" + b"\x00garbage" * 100, "已损坏"),
        (pdf_bytes(script=False, password="123456"), "加密"),
        (b"", "请选择"),
    ],
)
def test_anything_else_is_refused_in_chinese(db, client, handler, data, fragment):
    reply = upload(client, handler, data)
    assert reply.status_code == 422, reply.get_json()
    assert any(fragment in m for m in reply.get_json()["errors"]["file"]), reply.get_json()
    assert db.session.scalar(select(ReportAttachment.id)) is None


def test_size_limit_and_roles(app, client, handler, staff_login):
    app.config["REPORT_ATTACHMENT_MAX_BYTES"] = 1000
    too_big = upload(client, handler, pdf_bytes(pages=20))
    assert too_big.status_code == 413 and too_big.get_json()["code"] == "file_too_large"
    assert upload(client, staff_login("triage"), pdf_bytes()).status_code == 403
    assert client.post(f"{STAFF}/uploads", headers=handler).status_code == 422  # no multipart file


def test_reports_accept_only_their_own_departments_unused_uploads(app, db, client, handler, staff_login, mp_login):
    _, fid = submit(client, mp_login())
    (assignment_id,) = route(db, fid, "city-wb")
    ok(client.post(f"{STAFF}/assignments/{assignment_id}/acknowledge", headers=handler))
    other = staff_login("handler", department_code="city-fb")
    theirs = ok(upload(client, other, pdf_bytes()), 201)["id"]
    mine = ok(upload(client, handler, pdf_bytes()), 201)["id"]
    url = f"{STAFF}/assignments/{assignment_id}/reports"
    body = {"measures": "印发通知", "result": "已整改"}
    for wrong in (["任意文字"], ["0" * 32], [theirs], [mine, mine]):
        reply = client.post(url, headers=handler, json=body | {"attachments": wrong})
        assert reply.status_code == 422, wrong
        assert "attachments" in reply.get_json()["errors"], reply.get_json()
    report = ok(client.post(url, headers=handler, json=body | {"attachments": [mine]}), 201)
    assert report["attachments"] == [mine]
    db.session.rollback()
    assert db.session.get(ReportAttachment, mine).report_id == report["id"]
    assert db.session.get(RectificationReport, report["id"]).attachments == [mine]


def test_an_attachment_never_used_goes_after_a_day_with_its_file(app, db, client, handler, mp_login):
    from datetime import timedelta

    from feedback.jobs.runner import run_job

    _, fid = submit(client, mp_login())
    (assignment_id,) = route(db, fid, "city-wb")
    ok(client.post(f"{STAFF}/assignments/{assignment_id}/acknowledge", headers=handler))
    used, unused = (ok(upload(client, handler, pdf_bytes()), 201)["id"] for _ in range(2))
    ok(
        client.post(
            f"{STAFF}/assignments/{assignment_id}/reports",
            headers=handler,
            json={"measures": "印发通知", "result": "已整改", "attachments": [used]},
        ),
        201,
    )
    files = {
        i: Path(app.config["UPLOAD_DIR"]) / db.session.get(ReportAttachment, i).storage_name for i in (used, unused)
    }
    app.extensions["clock"].freeze(WED + timedelta(days=2))
    run = run_job("retention")
    assert run.outcome == "success", run.error
    db.session.rollback()
    assert run.counts["orphan_uploads_deleted"] == 1
    assert db.session.get(ReportAttachment, unused) is None and not files[unused].exists()
    assert db.session.get(ReportAttachment, used) is not None and files[used].exists()
