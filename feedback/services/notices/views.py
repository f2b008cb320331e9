"""Read model of the notice outbox, for the admin console."""

from __future__ import annotations

from sqlalchemy import select

from feedback.models import OutboxMessage
from feedback.services.paging import paginate

OUTBOX_STATUSES = ("pending", "sending", "sent", "dead")


def list_outbox(status: str | None, page: int, per_page: int) -> tuple[list[OutboxMessage], int]:
    """Messages, newest first, optionally in one status."""
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    if status:
        query = query.where(OutboxMessage.status == status)
    return paginate(query, page, per_page, scalars=True)
