"""Image uploads: type by content, size limit, metadata never survives, stored outside served folders."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select, text

from feedback.models import Upload


def post(client, headers, data: bytes, name="photo.jpg"):
    return client.post(
        "/api/mp/v1/uploads",
        data={"file": (io.BytesIO(data), name)},
        headers=headers,
        content_type="multipart/form-data",
    )


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


FLOOD_SCRIPT = r"""
import io, json, sys, threading, time
from PIL import Image
from feedback import create_app

app = create_app({"FEEDBACK_ENV": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                  "WECHAT_API_BASE": "http://127.0.0.1:9", "IMAGE_DECODE_WAIT_SECONDS": 60})

def jpeg(side):
    out = io.BytesIO()
    Image.new("RGB", (side, side), (200, 120, 40)).save(out, "JPEG", quality=30)
    return out.getvalue()

def hwm_kb():
    return int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1])

flood = jpeg(6300)  # about 600 KB that decodes to 40 megapixels
import gc; gc.collect()
from feedback.services.intake.uploads import clean_image
open("/proc/self/clear_refs", "w").write("5")  # restart the peak from here
before, results = hwm_kb(), []

def worker():
    with app.app_context():
        results.append(clean_image(flood, 10 * 1024 * 1024).width)

started = time.monotonic()
threads = [threading.Thread(target=worker) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps({"added_mb": (hwm_kb() - before) / 1024, "seconds": time.monotonic() - started,
                  "size": len(flood), "widths": results}))
"""


@pytest.mark.subprocess
def test_a_pixel_flood_is_decoded_scaled_down_one_at_a_time():
    """Eight 6300x6300 JPEGs at once in one worker: small decodes, one at a time, little memory."""
    import json
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    out = subprocess.run(
        [sys.executable, "-c", FLOOD_SCRIPT], cwd=root, capture_output=True, text=True, check=True, timeout=120
    )
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    assert figures["size"] < 1_000_000 and figures["widths"] == [1575] * 8
    # Decoded whole, each cost over 500 MB and 1.4 s; now a quarter-scale decode, one at a time.
    assert figures["added_mb"] < 40, figures
    assert figures["seconds"] < 5, figures


def test_an_image_over_the_pixel_budget_that_cannot_be_scaled_is_refused(client, mp_login, db):
    out = io.BytesIO()
    Image.new("RGB", (3000, 3000)).save(out, format="PNG")  # 9 megapixels, and PNG has no draft
    reply = post(client, mp_login(), out.getvalue(), name="x.png")
    assert reply.status_code == 422 and reply.get_json()["errors"]["file"] == ["图片尺寸过大，请缩小后重新上传"]
    assert db.session.scalar(select(Upload)) is None


def test_decodes_wait_for_a_slot_and_busy_slots_answer_503(app, client, mp_login, jpeg_bytes):
    from feedback.services.intake.uploads import decode_slot

    app.config["IMAGE_DECODE_WAIT_SECONDS"] = 0.2
    headers = mp_login()
    with decode_slot():  # another request is decoding, and the process allows one at a time
        busy = post(client, headers, jpeg_bytes())
    assert busy.status_code == 503, busy.get_json()
    assert busy.get_json()["code"] == "uploads_busy" and busy.headers.get("Retry-After")
    assert post(client, headers, jpeg_bytes()).status_code == 201


def test_a_file_whose_row_is_not_committed_is_swept(app, client, mp_login, db, jpeg_bytes):
    """The image is written before its row; when the transaction fails the file goes too (no orphans)."""
    dialect = db.engine.dialect.name
    with db.engine.begin() as conn:
        if dialect == "postgresql":
            conn.execute(
                text(
                    "CREATE FUNCTION refuse_upload() RETURNS trigger AS $$ "
                    "BEGIN RAISE EXCEPTION 'refused by the test'; END $$ LANGUAGE plpgsql"
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER refuse_upload BEFORE INSERT ON uploads "
                    "FOR EACH ROW EXECUTE FUNCTION refuse_upload()"
                )
            )
        else:
            conn.execute(
                text(
                    "CREATE TRIGGER refuse_upload BEFORE INSERT ON uploads "
                    "BEGIN INSERT INTO no_such_table VALUES (1); END"
                )
            )
    try:
        headers = mp_login()
        reply = post(client, headers, jpeg_bytes())
        assert reply.status_code == 500
        assert not [p for p in Path(app.config["UPLOAD_DIR"]).rglob("*") if p.is_file()]
    finally:
        db.session.remove()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TRIGGER refuse_upload" + (" ON uploads" if dialect == "postgresql" else "")))
            if dialect == "postgresql":
                conn.execute(text("DROP FUNCTION refuse_upload()"))
