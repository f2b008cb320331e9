"""消息发送 (admin): the notice outbox by status, dead letters with their last error, and retry.

Reads ``services.notices.views.list_outbox`` and retries with ``services.notices.delivery.retry_dead``,
the same functions as ``GET /api/staff/v1/outbox`` and ``POST …/outbox/{id}/retry``. The recipient is
shown as stored: an e-mail address or a webhook's name, never a robot URL or key (those stay in
config/notifications.yaml or the environment).
"""

from __future__ import annotations

from datetime import datetime

from flask import g, render_template, request, url_for

from feedback.console import bp, pages
from feedback.errors import Forbidden
from feedback.services.notices import delivery
from feedback.services.notices import views as notices
from feedback.timeutil import CHINA


def _admin_only() -> None:
    if g.staff.role != "admin":
        raise Forbidden("只有系统管理员可以查看消息发送情况")


def _when(moment: datetime | None) -> str:
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") if moment else "—"


def _row(message) -> dict:
    return {
        "id": message.id,
        "kind": message.kind,
        "subject": message.subject,
        "channel": notices.CHANNEL_LABELS.get(message.channel, message.channel),
        "recipient": message.recipient or "",
        "status": message.status,
        "status_label": notices.OUTBOX_STATUS_LABELS.get(message.status, message.status),
        "attempts": message.attempts,
        "created": _when(message.created_at),
        "next_attempt": _when(message.next_attempt_at) if message.status == "pending" else "",
        "sent": _when(message.sent_at) if message.sent_at else "",
        "error": notices.first_line(message.last_error),
    }


@bp.route("/outbox")
def outbox():
    _admin_only()
    status = request.args.get("status", "")
    status = status if status in notices.OUTBOX_STATUSES else ""
    paging = pages.paging()
    messages, total = notices.list_outbox(status or None, paging.page, paging.per_page)
    return render_template(
        "console/outbox.html",
        messages=[_row(m) for m in messages],
        total=total,
        paging=paging,
        status=status,
        statuses=notices.OUTBOX_STATUS_LABELS,
        dead_total=delivery.dead_total(),
    )


@bp.route("/outbox/<int:message_id>/retry", methods=["POST"])
def outbox_retry(message_id: int):
    _admin_only()
    back = url_for("console.outbox", status=request.form.get("status") or None)
    return pages.act(
        lambda: delivery.retry_dead(message_id),
        f"通知 #{message_id} 已重新排队，将由发送任务在几分钟内重新发送",
        back,
    )
