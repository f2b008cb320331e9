"""Upload of a file for a rectification report (整改材料): a PDF or an image, multipart field ``file``."""

from __future__ import annotations

from flask import current_app, request

from feedback.api import fields as f
from feedback.api.fields import Schema
from feedback.api.staff import blp, current_staff, require_roles
from feedback.errors import ValidationFailed
from feedback.extensions import db
from feedback.services.handling.report_attachments import save_report_attachment


class ReportAttachmentOut(Schema):
    id = f.String(metadata={"description": "附件编号，提交整改反馈时放在 attachments 中"})
    content_type = f.String(metadata={"description": "application/pdf、image/jpeg、image/png 或 image/webp"})
    byte_size = f.Integer()
    pages = f.Integer(allow_none=True, metadata={"description": "PDF 页数"})
    width = f.Integer(allow_none=True)
    height = f.Integer(allow_none=True)


@blp.route("/uploads", methods=["POST"])
@require_roles("handler")
@blp.response(201, ReportAttachmentOut)
@blp.alt_response(413, description="文件超过大小上限（file_too_large）")
@blp.alt_response(422, description="不是 PDF 或图片，或文件已损坏（invalid_document、invalid_image）")
def upload_report_attachment():
    """上传一份整改材料（multipart 字段名 file）：PDF 或 JPEG、PNG、WebP、GIF 图片，按内容识别。

    PDF 只保留页面内容（去掉脚本、表单、嵌入文件、批注和文档属性）；图片解码后重新编码。
    返回的编号只能由本部门在提交整改反馈时使用一次。
    """
    file = request.files.get("file")
    if file is None:
        raise ValidationFailed(errors={"file": ["请以 multipart/form-data 上传，字段名为 file"]})
    attachment = save_report_attachment(
        current_staff(), file.read(current_app.config["REPORT_ATTACHMENT_MAX_BYTES"] + 1)
    )
    db.session.commit()
    return attachment
