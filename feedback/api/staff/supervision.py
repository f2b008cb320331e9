"""督办/通报 list for the org department and leadership; the notification outbox for admins.

Supervision items are raised by the deadline-watch job; the outbox is filled by services and
emptied by the outbox-sender job. A message that failed every attempt stays ``dead`` here until
an admin retries it, so no notice is silently lost.
"""

from __future__ import annotations

from marshmallow import validate

from feedback.api import fields as f
from feedback.api.fields import CodeNameOut, PageIn, PageOut, Schema
from feedback.api.staff import ID, blp, require_roles
from feedback.extensions import db
from feedback.services.notices import delivery
from feedback.services.notices import views as notices
from feedback.services.notices.views import OUTBOX_STATUSES
from feedback.services.reporting import supervision
from feedback.services.reporting.supervision import LEVEL_LABELS
from feedback.workflow import READER_ROLES


class SupervisionListIn(PageIn):
    level = f.String(
        validate=validate.OneOf(tuple(LEVEL_LABELS), error="级别应为 duban（督办）或 tongbao（通报）"),
        metadata={"description": "duban 督办 / tongbao 通报；不填为全部"},
    )
    open = f.Boolean(load_default=True, metadata={"description": "true 只看未办结的（默认），false 包括已解除的"})


class SupervisionItemOut(Schema):
    id = f.Integer()
    level = f.String(metadata={"description": "duban 督办 / tongbao 通报"})
    level_label = f.String()
    department = f.Nested(CodeNameOut)
    assignment_id = f.Integer()
    feedback_id = f.Integer()
    assignment_status = f.String()
    assignment_status_label = f.String()
    due_at = f.DateTime(metadata={"description": "办理期限（该日结束时刻）"})
    due_day = f.String(metadata={"description": "办理期限所在日期"})
    due_provisional = f.Boolean(metadata={"description": "期限是否为暂定（按法定节假日计算，公布安排后自动校正）"})
    working_days_overdue = f.Integer(allow_none=True, metadata={"description": "已超期的工作日数（截至现在）"})
    created_at = f.DateTime()
    resolved_at = f.DateTime(allow_none=True, metadata={"description": "交办单已反馈或销号、督办解除的时间"})


class SupervisionPageOut(PageOut):
    items = f.List(f.Nested(SupervisionItemOut))


class OutboxListIn(PageIn):
    status = f.String(
        validate=validate.OneOf(OUTBOX_STATUSES, error="状态应为 " + "、".join(OUTBOX_STATUSES)),
        metadata={"description": "pending 待发送 / sending 发送中 / sent 已发送 / dead 发送失败"},
    )


class OutboxItemOut(Schema):
    id = f.Integer()
    kind = f.String()
    channel = f.String(metadata={"description": "log / email / webhook"})
    recipient = f.String(allow_none=True, metadata={"description": "电子邮件地址，或 Webhook 名称（不含密钥）"})
    department_id = f.Integer(allow_none=True)
    subject = f.String()
    body = f.String()
    status = f.String()
    attempts = f.Integer()
    next_attempt_at = f.DateTime()
    last_error = f.String(allow_none=True)
    created_at = f.DateTime()
    sent_at = f.DateTime(allow_none=True)


class OutboxPageOut(PageOut):
    items = f.List(f.Nested(OutboxItemOut))


@blp.route("/supervisions", methods=["GET"])
@require_roles(*READER_ROLES)
@blp.arguments(SupervisionListIn, location="query")
@blp.response(200, SupervisionPageOut)
def list_supervisions(args):
    """督办、通报清单：超期的交办单（督办），超期满 5 个工作日仍未反馈的（通报）。"""
    items, total = supervision.list_supervisions(args.get("level"), args["open"], args["page"], args["per_page"])
    return {"items": items, "total": total, "page": args["page"], "per_page": args["per_page"]}


@blp.route("/outbox", methods=["GET"])
@require_roles("admin")
@blp.arguments(OutboxListIn, location="query")
@blp.response(200, OutboxPageOut)
def list_outbox(args):
    """通知发件箱：按状态查看待发送、已发送和发送失败（dead）的通知。"""
    items, total = notices.list_outbox(args.get("status"), args["page"], args["per_page"])
    return {"items": items, "total": total, "page": args["page"], "per_page": args["per_page"]}


@blp.route(f"/outbox/{ID.format('message_id')}/retry", methods=["POST"])
@require_roles("admin")
@blp.response(200, OutboxItemOut)
def retry_outbox(message_id):
    """重新发送一条发送失败（dead）的通知（排除故障后使用），重新计算尝试次数。"""
    message = delivery.retry_dead(message_id)
    db.session.commit()
    return message
