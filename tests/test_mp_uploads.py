"""Image uploads: type by content, size limit, metadata never survives, stored outside served folders."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image
from sqlalchemy import select

from feedback.models import Upload


def post(client, headers, data: bytes, name="photo.jpg"):
    return client.post("/api/mp/v1/uploads", data={"file": (io.BytesIO(data), name)}, headers=headers,
                       content_type="multipart/form-data")


def test_upload_strips_exif_and_gps(app, client, mp_login, db, jpeg_bytes):
    raw = jpeg_bytes()
    assert b"SpyPhone" in raw
    reply = post(client, mp_login(), raw)
    assert reply.status_code == 201
    body = reply.get_json()
    assert len(body["id"]) == 32 and body["content_type"] == "image/jpeg"
    upload = db.session.get(Upload, body["id"])
    stored = Path(app.config["UPLOAD_DIR"]) / upload.storage_name
    data = stored.read_bytes()
    assert b"SpyPhone" not in data and b"Model X-1" not in data
    reopened = Image.open(io.BytesIO(data))
    assert not reopened.getexif()
    assert (reopened.width, reopened.height) == (64, 48)
    assert not str(stored).startswith(str(Path(app.root_path) / "static"))


def test_type_is_judged_by_content_not_name(client, mp_login, db):
    reply = post(client, mp_login(), b"MZ\x90\x00 this is not an image", name="innocent.jpg")
    assert reply.status_code == 422
    assert reply.get_json()["errors"]["file"][0]
    assert db.session.scalar(select(Upload)) is None


def test_png_named_as_jpeg_is_stored_as_png(client, mp_login):
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, format="PNG")
    reply = post(client, mp_login(), out.getvalue(), name="x.jpg")
    assert reply.status_code == 201 and reply.get_json()["content_type"] == "image/png"


def test_too_large_is_413(app, client, mp_login, jpeg_bytes):
    app.config["UPLOAD_MAX_BYTES"] = 1000
    reply = post(client, mp_login(), jpeg_bytes(size=(400, 400)) + b"\0" * 2000)
    assert reply.status_code == 413
    assert reply.get_json()["code"] == "file_too_large" and "MB" in reply.get_json()["message"]


def test_body_over_request_limit_is_413_in_our_shape(app, client, mp_login):
    app.config["MAX_CONTENT_LENGTH"] = 2048
    reply = post(client, mp_login(), b"\xff" * 5000)
    assert reply.status_code == 413
    assert reply.get_json()["code"] == "payload_too_large"


def test_missing_file_field(client, mp_login):
    reply = client.post("/api/mp/v1/uploads", data={}, headers=mp_login(), content_type="multipart/form-data")
    assert reply.status_code == 422
    assert "file" in reply.get_json()["errors"]


def test_upload_needs_login(client, jpeg_bytes):
    assert post(client, {}, jpeg_bytes()).status_code == 401
