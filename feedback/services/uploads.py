"""Store an uploaded image only after it has been decoded and re-encoded."""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

from flask import current_app

from feedback.errors import PayloadTooLarge, ValidationFailed
from feedback.extensions import db
from feedback.models import Upload
from feedback.privacy import CleanImage, ImageRejected, scrub_image


def upload_root() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def clean_image(raw: bytes, limit: int, *, not_an_image: str | None = None) -> CleanImage:
    """Decode and re-encode ``raw``; Chinese 413/422 errors for what cannot be taken."""
    try:
        return scrub_image(raw, max_bytes=limit)
    except ImageRejected as exc:
        if exc.code == "too_large":
            raise PayloadTooLarge(exc.reason, code="file_too_large") from None
        reason = not_an_image if exc.code == "unsupported_type" and not_an_image else exc.reason
        raise ValidationFailed(errors={"file": [reason]}, code="invalid_image") from None


def save_upload(raw: bytes) -> Upload:
    limit = int(current_app.config["UPLOAD_MAX_BYTES"])
    if len(raw) > limit:
        raise PayloadTooLarge(f"图片不能超过 {limit // (1024 * 1024)} MB", code="file_too_large")
    if not raw:
        raise ValidationFailed(errors={"file": ["请选择要上传的图片"]})
    clean = clean_image(raw, limit)
    upload_id = secrets.token_hex(16)
    storage_name = f"{upload_id[:2]}/{upload_id}.{clean.extension}"
    write_atomically(upload_root() / storage_name, clean.data)
    upload = Upload(id=upload_id, storage_name=storage_name, content_type=clean.content_type,
                    byte_size=len(clean.data), width=clean.width, height=clean.height)
    db.session.add(upload)
    db.session.flush()
    return upload
