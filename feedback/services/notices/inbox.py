"""我的通知: the notices addressed to a staff user's unit, with that user's own read state.

Who a notice is for is decided once, in ``recipients.addressed_to``; read state is one
``NoticeRead`` row per (user, notice), so a colleague of the same department still sees it unread.
The console shows every notice this way whether or not e-mail or a robot delivered it.
Commands flush; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite

from feedback.clock import now
from feedback.errors import NotFound
from feedback.extensions import db, dialect_name
from feedback.models import NoticeRead, OutboxMessage, StaffUser
from feedback.services.notices.links import ConsolePage, page_for
from feedback.services.notices.recipients import addressed_to
from feedback.services.paging import paginate
from feedback.timeutil import local_date


@dataclass(frozen=True)
class Notice:
    id: int
    subject: str
    body: str
    on: date  # the day only: a notice about a reporter's step must not tell its moment
    read: bool
    page: ConsolePage | None


def _for(user: StaffUser) -> ColumnElement[bool]:
    return addressed_to(user.role, user.department_id, user.point_id)


def _read_by(user: StaffUser):
    return exists().where(NoticeRead.outbox_id == OutboxMessage.id, NoticeRead.staff_user_id == user.id)


def unread_count(user: StaffUser) -> int:
    """One COUNT query, cheap enough for every page header."""
    query = select(func.count()).select_from(OutboxMessage).where(_for(user), ~_read_by(user))
    return db.session.scalar(query) or 0


def list_notices(user: StaffUser, unread_only: bool, page: int, per_page: int) -> tuple[list[Notice], int]:
    """One page of the user's notices, newest first."""
    query = select(OutboxMessage, _read_by(user).label("read")).where(_for(user)).order_by(OutboxMessage.id.desc())
    if unread_only:
        query = query.where(~_read_by(user))
    rows, total = paginate(query, page, per_page)
    return [
        Notice(
            id=m.id,
            subject=m.subject,
            body=m.body,
            on=local_date(m.created_at),
            read=bool(read),
            page=page_for(m.kind, m.payload),
        )
        for m, read in rows
    ], total


def _insert_reads(user: StaffUser, ids: Any) -> None:
    """INSERT … SELECT … ON CONFLICT DO NOTHING: a second click (or a second tab) adds nothing."""
    source = select(literal(user.id), OutboxMessage.id, literal(now())).where(ids)
    dialect = postgresql if dialect_name() == "postgresql" else sqlite
    stmt = (
        dialect.insert(NoticeRead)
        .from_select(["staff_user_id", "outbox_id", "read_at"], source)
        .on_conflict_do_nothing(index_elements=["staff_user_id", "outbox_id"])
    )
    db.session.execute(stmt)


def mark_read(user: StaffUser, outbox_id: int) -> None:
    """标为已读; a notice for another unit does not exist for this user."""
    mine = and_(OutboxMessage.id == outbox_id, _for(user))
    if db.session.scalar(select(OutboxMessage.id).where(mine)) is None:
        raise NotFound("未找到该通知", code="notice_not_found")
    _insert_reads(user, mine)


def mark_all_read(user: StaffUser) -> int:
    """全部标为已读: every notice of the user's unit not yet read by this user; returns how many."""
    unread = unread_count(user)
    if unread:
        _insert_reads(user, and_(_for(user), ~_read_by(user)))
    return unread
