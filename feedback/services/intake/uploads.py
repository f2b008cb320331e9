"""Store an uploaded image only after it has been decoded and re-encoded.

Decoding is the expensive part (memory above all), so each process runs at most
``IMAGE_DECODE_CONCURRENCY`` decodes (and PDF rebuilds) at once; a request that cannot get a slot
within ``IMAGE_DECODE_WAIT_SECONDS`` answers 503 with Retry-After instead of piling up. With the
pixel budget of ``privacy.scrub_image`` that bounds what uploads can add to a worker's memory.

The decodes run on the process's own decoder threads, not on the request threads: glibc gives
each thread its own malloc arena and keeps what a decode freed there, so eight request threads
that each decoded once would hold eight decodes' worth of memory (measured: 135 MB against 17 MB).
"""

from __future__ import annotations

import os
import secrets
import tempfile
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from feedback.errors import PayloadTooLarge, UpstreamUnavailable, ValidationFailed
from feedback.extensions import db
from feedback.models import Upload
from feedback.privacy import CleanImage, ImageRejected, scrub_image

WRITTEN_FILES = "files_written_in_transaction"  # session.info: files to delete if it rolls back

T = TypeVar("T")


_SLOTS_LOCK = threading.Lock()
_DECODER: ThreadPoolExecutor | None = None  # one per process, started on first use


def _decode_slots() -> threading.BoundedSemaphore:
    app = current_app  # one semaphore per app (per process in production)
    slots = app.extensions.get("decode_slots")
    if slots is None:
        with _SLOTS_LOCK:
            slots = app.extensions.setdefault(
                "decode_slots", threading.BoundedSemaphore(app.config["IMAGE_DECODE_CONCURRENCY"])
            )
    return slots


@contextmanager
def decode_slot() -> Iterator[None]:
    """Hold one of the process's decode slots, or answer 503 when they stay busy."""
    slots = _decode_slots()
    if not slots.acquire(timeout=current_app.config["IMAGE_DECODE_WAIT_SECONDS"]):
        raise UpstreamUnavailable("正在处理的上传较多，请稍后重试", headers={"Retry-After": "5"}, code="uploads_busy")
    try:
        yield
    finally:
        slots.release()


def _decoder(workers: int) -> ThreadPoolExecutor:
    global _DECODER
    if _DECODER is None:
        with _SLOTS_LOCK:
            if _DECODER is None:
                _DECODER = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="decode")
    return _DECODER


def run_decode(work: Callable[..., T], *args, **kwargs) -> T:
    """Run ``work`` on a decoder thread once a slot is free; its exceptions come back here."""
    with decode_slot():
        workers = current_app.config["IMAGE_DECODE_CONCURRENCY"]
        return _decoder(workers).submit(work, *args, **kwargs).result()


def upload_root() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def write_atomically(path: Path, data: bytes) -> None:
    """Write the file whole, and delete it again if the transaction that records it rolls back.

    The file must exist before its row commits (a reader may fetch it right after), so a commit
    that fails — or a request that fails after the write — would otherwise leave an orphan no row
    points to, out of reach of retention.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _sweep_unless_committed(path)


def _sweep_unless_committed(path: Path) -> None:
    session = db.session()
    if not event.contains(session, "after_commit", _files_kept):
        event.listen(session, "after_commit", _files_kept)
        event.listen(session, "after_rollback", _files_swept)
    session.info.setdefault(WRITTEN_FILES, []).append(path)


def _files_kept(session: Session) -> None:
    session.info.pop(WRITTEN_FILES, None)


def _files_swept(session: Session) -> None:
    for path in session.info.pop(WRITTEN_FILES, []):
        path.unlink(missing_ok=True)


def clean_image(raw: bytes, limit: int, *, not_an_image: str | None = None) -> CleanImage:
    """Decode and re-encode ``raw``; Chinese 413/422 errors for what cannot be taken."""
    try:
        return run_decode(
            scrub_image, raw, max_bytes=limit, max_decoded_pixels=current_app.config["IMAGE_MAX_DECODED_PIXELS"]
        )
    except ImageRejected as exc:
        if exc.code == "too_large":
            raise PayloadTooLarge(exc.reason, code="file_too_large") from None
        reason = not_an_image if exc.code == "unsupported_type" and not_an_image else exc.reason
        raise ValidationFailed(errors={"file": [reason]}, code="invalid_image") from None


def save_upload(raw: bytes) -> Upload:
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    if len(raw) > limit:
        raise PayloadTooLarge(f"图片不能超过 {limit // (1024 * 1024)} MB", code="file_too_large")
    if not raw:
        raise ValidationFailed(errors={"file": ["请选择要上传的图片"]})
    clean = clean_image(raw, limit)
    upload_id = secrets.token_hex(16)
    storage_name = f"{upload_id[:2]}/{upload_id}.{clean.extension}"
    write_atomically(upload_root() / storage_name, clean.data)
    upload = Upload(
        id=upload_id,
        storage_name=storage_name,
        content_type=clean.content_type,
        byte_size=len(clean.data),
        width=clean.width,
        height=clean.height,
    )
    db.session.add(upload)
    db.session.flush()
    return upload
