"""Files departments attach to rectification reports: PDFs and images, checked by content.

The type is decided by the bytes, never by the name or the declared content type. A PDF is
rebuilt from its pages (``feedback.documents``); an image is decoded and re-encoded exactly as a
cadre's upload is (``privacy.scrub_image`` via ``services.intake.uploads``), so no file is stored as sent.
Only the department that uploaded a file can attach it, once.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from feedback.clock import now
from feedback.documents import DocumentRejected, clean_pdf, is_pdf
from feedback.errors import NotFound, PayloadTooLarge, ValidationFailed
from feedback.extensions import db
from feedback.models import RectificationReport, ReportAttachment, StaffUser
from feedback.services.handling.actors import Actor
from feedback.services.intake.uploads import clean_image, run_decode, upload_root, write_atomically
from feedback.workflow import ORG_ROLES

ACCEPTED = "仅支持 PDF 文件或 JPEG、PNG、WebP、GIF 图片"


def save_report_attachment(staff: StaffUser, raw: bytes) -> ReportAttachment:
    """Check, rebuild and store one file for the staff member's department; flushes only."""
    if staff.department_id is None:
        raise ValidationFailed(errors={"file": ["您的账号未绑定部门，不能上传整改材料"]})
    limit = current_app.config["REPORT_ATTACHMENT_MAX_BYTES"]
    if len(raw) > limit:
        raise PayloadTooLarge(f"附件不能超过 {limit // (1024 * 1024)} MB", code="file_too_large")
    if not raw:
        raise ValidationFailed(errors={"file": ["请选择要上传的文件"]})
    pages = width = height = None
    if is_pdf(raw):
        try:
            pdf = run_decode(clean_pdf, raw, max_pages=current_app.config["REPORT_ATTACHMENT_MAX_PAGES"])
        except DocumentRejected as exc:
            raise ValidationFailed(errors={"file": [exc.reason]}, code="invalid_document") from None
        data, content_type, extension, pages = pdf.data, "application/pdf", "pdf", pdf.pages
    else:
        image = clean_image(raw, limit, not_an_image=ACCEPTED)
        data, content_type, extension = image.data, image.content_type, image.extension
        width, height = image.width, image.height
    attachment_id = secrets.token_hex(16)
    storage_name = f"reports/{attachment_id[:2]}/{attachment_id}.{extension}"
    write_atomically(upload_root() / storage_name, data)
    attachment = ReportAttachment(
        id=attachment_id,
        storage_name=storage_name,
        content_type=content_type,
        byte_size=len(data),
        pages=pages,
        width=width,
        height=height,
        department_id=staff.department_id,
        uploaded_by=staff.id,
        created_at=now(),
    )
    db.session.add(attachment)
    db.session.flush()
    return attachment


def claim(report: RectificationReport, department_id: int, ids: list[str]) -> None:
    """Attach uploaded files to ``report``: each must be this department's, and not used yet."""
    if not ids:
        return
    if len(set(ids)) != len(ids):
        raise ValidationFailed(errors={"attachments": ["附件重复"]})
    found = {a.id: a for a in db.session.scalars(select(ReportAttachment).where(ReportAttachment.id.in_(ids)))}
    bad = [
        i for i in ids if i not in found or found[i].department_id != department_id or found[i].report_id is not None
    ]
    if bad:
        raise ValidationFailed(errors={"attachments": ["附件不存在、不属于本部门或已被使用，请通过 /uploads 重新上传"]})
    for attachment_id in ids:
        found[attachment_id].report_id = report.id


def of_report(report: RectificationReport) -> list[ReportAttachment]:
    """The files attached to ``report``, in the order the department listed them."""
    query = select(ReportAttachment).where(ReportAttachment.report_id == report.id)
    found = {a.id: a for a in db.session.scalars(query)}
    return [found[i] for i in report.attachments or [] if i in found]


def readable(actor: Actor, attachment_id: str) -> tuple[ReportAttachment, Path]:
    """A report's file for the org department or the department it belongs to; nobody else.

    Anything another department's (or not attached to a report) does not exist for the asker.
    """
    attachment = db.session.get(ReportAttachment, attachment_id)
    if (
        attachment is None
        or attachment.report_id is None
        or not (
            actor.role in ORG_ROLES or (actor.role == "handler" and attachment.department_id == actor.department_id)
        )
    ):
        raise NotFound("未找到该附件", code="attachment_not_found")
    return attachment, upload_root() / attachment.storage_name
