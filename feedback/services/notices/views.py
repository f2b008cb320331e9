"""Read model of the notice outbox, for the admin console."""

from __future__ import annotations

from sqlalchemy import select

from feedback.models import OutboxMessage
from feedback.services.paging import paginate

OUTBOX_STATUSES = ("pending", "sending", "sent", "dead")
OUTBOX_STATUS_LABELS = {"pending": "待发送", "sending": "发送中", "sent": "已发送", "dead": "发送失败"}
CHANNEL_LABELS = {"log": "写入日志", "email": "电子邮件", "webhook": "企业微信群机器人"}


def first_line(error: str | None, limit: int = 200) -> str:
    """The first line of a stored delivery error, short enough for a table cell."""
    if not error:
        return ""
    line = error.strip().splitlines()[0] if error.strip() else ""
    return line if len(line) <= limit else line[:limit] + "…"


def list_outbox(status: str | None, page: int, per_page: int) -> tuple[list[OutboxMessage], int]:
    """Messages, newest first, optionally in one status."""
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    if status:
        query = query.where(OutboxMessage.status == status)
    return paginate(query, page, per_page, scalars=True)
