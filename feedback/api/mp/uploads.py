from __future__ import annotations

from flask import current_app, request

from feedback.api.mp import blp
from feedback.api.mp.schemas import UploadOut
from feedback.errors import ValidationFailed
from feedback.extensions import db, limiter
from feedback.services.intake.uploads import save_upload

MULTIPART_IMAGE = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "description": "JPEG、PNG、WebP 或 GIF 图片，不超过 10 MB",
                    }
                },
            },
        }
    },
}


@blp.route("/uploads", methods=["POST"])
@limiter.limit(lambda: current_app.config["RATE_LIMIT_UPLOAD"])
@blp.response(201, UploadOut)
@blp.alt_response(422, description="没有 file 字段，或不是可识别的图片（validation_error）")
@blp.doc(requestBody=MULTIPART_IMAGE)
def upload_image():
    """上传一张图片（multipart 字段名 file）。

    服务器按内容识别类型，解码后重新编码，位置、设备等元数据一律不保留。
    """
    file = request.files.get("file")
    if file is None:
        raise ValidationFailed(errors={"file": ["请以 multipart/form-data 上传，字段名为 file"]})
    upload = save_upload(file.read(current_app.config["UPLOAD_MAX_BYTES"] + 1))
    db.session.commit()
    return upload
