"""Observation-point daily ledger (日登记、月统计、季度通报).

A liaison records, for their own point only, what the point bore on one day. An entry can be
written or corrected on that day and during the following ``LEDGER_CORRECTION_DAYS`` days (7 by
default, China-time dates); after that it is locked, so the monthly and quarterly figures the org
department has reported stop moving under it.

Missing days (缺报): a day is missing for a point when it is a working day on the Chinese official
calendar (holidays off, 调休 make-up weekends on), it lies on or after the point's first entry ever,
it is before today (today can still be filled in), the point is active, and there is no entry.
Days before a point's first entry are not missing: points join at different times and the point
table has no start date. An active point that has never filled anything, though, misses every
working day before today (``never_reported``): counting it as 0 hid exactly the points that do not
report at all.

Entries lock for the liaison after the correction window; the org department (triage, admin) can
still correct any past day, with a reason, and every such correction is kept as an event
(``ledger_correct``) with the counts before and after.

Statistics here are not suppressed for small cells: they count burdens laid on a point (meetings,
documents, inspections), not people, and naming the point is the purpose of the bulletin.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import select

from feedback.calendar import CalendarOutOfRange
from feedback.clock import now
from feedback.errors import Conflict, Forbidden, ValidationFailed
from feedback.extensions import db
from feedback.models import ObservationPoint, StaffUser
from feedback.models.ledger import LEDGER_COUNTS, LedgerEntry
from feedback.services.handling import deadlines
from feedback.services.handling.events import record_event
from feedback.services.inserts import insert_if_absent
from feedback.timeutil import local_date, parse_iso_day

COUNT_LABELS = {
    "meetings": "参会",
    "irrelevant_meetings": "陪会",
    "documents": "收文",
    "inspections": "督查检查",
    "forms": "填表报数",
    "checkins": "打卡签到",
}


@dataclass(frozen=True)
class Period:
    """Inclusive range of China-time dates."""

    start: date
    end: date

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


def today() -> date:
    return local_date(now())


def correction_days() -> int:
    return current_app.config["LEDGER_CORRECTION_DAYS"]


def first_editable_day(on: date | None = None) -> date:
    return (on or today()) - timedelta(days=correction_days())


def parse_day(text: str) -> date:
    try:
        return parse_iso_day(text)
    except ValueError:
        raise ValidationFailed(errors={"day": ["日期格式应为 YYYY-MM-DD，如 2026-09-23"]}) from None


def liaison_range(start: date | None, end: date | None) -> Period:
    """The liaison's list: the last 31 days by default, at most a year at once."""
    end = end or today()
    start = start or end - timedelta(days=30)
    if start > end:
        raise ValidationFailed(errors={"from": ["起始日期不能晚于截止日期"]})
    if (end - start).days >= 366:
        raise ValidationFailed(errors={"to": ["一次最多查询 366 天"]})
    first_year = deadlines.work_calendar().first_year
    if start.year < first_year:
        raise ValidationFailed(errors={"from": [f"节假日数据从 {first_year} 年开始，无法统计更早的日期"]})
    return Period(start, end)


def _year(text: str, field: str, earliest: int) -> int:
    """Working days are known from the calendar's first year on; earlier periods cannot be counted."""
    year = int(text[:4])
    if not earliest <= year <= 2100:
        raise ValidationFailed(
            errors={
                field: [f"年份应在 {earliest}–2100 之间（节假日数据从 {deadlines.work_calendar().first_year} 年开始）"]
            }
        )
    return year


def parse_month(text: str) -> tuple[int, int]:
    """'2026-09' (format checked by the schema) → (2026, 9)."""
    return _year(text, "month", deadlines.work_calendar().first_year), int(text[5:7])


def parse_quarter(text: str) -> tuple[int, int]:
    """'2026Q3' (format checked by the schema) → (2026, 3); compared with a year earlier, so one year later."""
    return _year(text, "quarter", deadlines.work_calendar().first_year + 1), int(text[5])


def month_period(year: int, month: int) -> Period:
    start = date(year, month, 1)
    return Period(start, (start + timedelta(days=32)).replace(day=1) - timedelta(days=1))


def workdays(period: Period, field: str = "month") -> list[date]:
    """Working days of ``period`` (provisional ones in a year without an official schedule yet)."""
    calendar = deadlines.work_calendar()
    try:
        return [d for d in period.days() if calendar.is_workday(d)]
    except CalendarOutOfRange as exc:
        raise ValidationFailed(errors={field: [f"{exc}，请选择 {exc.first_year} 年以后的时间"]}) from None


# ------------------------------------------------------------------------------------------ recording


def liaison_point(staff: StaffUser) -> ObservationPoint:
    """The one point a liaison acts for; no request can name another."""
    point = db.session.get(ObservationPoint, staff.point_id) if staff.point_id else None
    if point is None:
        raise Forbidden("您的账号未绑定观测点，请联系组织部", code="no_point")
    return point


def record_day(staff: StaffUser, day: date, counts: dict[str, int], note: str | None) -> LedgerEntry:
    """Create or correct the liaison's entry for ``day``; flushes, the caller commits."""
    point = liaison_point(staff)
    if not point.active:
        raise Conflict("观测点已停用，不能再登记", code="point_inactive")
    current = today()
    if day > current:
        raise ValidationFailed(errors={"day": ["不能登记未来的日期"]})
    if day < first_editable_day(current):
        raise Conflict(f"超过 {correction_days()} 天的登记已锁定，如需更正请联系组织部", code="ledger_locked")
    if counts["irrelevant_meetings"] > counts["meetings"]:
        raise ValidationFailed(errors={"irrelevant_meetings": ["陪会次数（与本点无关的会议）不能多于参会次数"]})
    moment = now()
    entry = _entry(point, day, moment, "liaison")
    for name in LEDGER_COUNTS:
        setattr(entry, name, counts[name])
    entry.note = (note or "").strip() or None
    entry.recorded_by, entry.updated_at = staff.id, moment
    db.session.flush()
    return entry


def _entry(point: ObservationPoint, day: date, moment: datetime, source: str) -> LedgerEntry:
    """The point's row for ``day``, created empty if there is none; a second request creating the same
    day at the same moment answers 409 without rolling back what this request already did."""
    entry = db.session.scalar(select(LedgerEntry).where(LedgerEntry.point_id == point.id, LedgerEntry.day == day))
    if entry is not None:
        return entry
    entry_id = insert_if_absent(
        LedgerEntry, {"point_id": point.id, "day": day, "created_at": moment, "source": source}, ["point_id", "day"]
    )
    if entry_id is None:
        raise Conflict("该日登记正在由他人保存，请刷新后重试", code="ledger_busy")
    return db.session.get_one(LedgerEntry, entry_id)


def correct_day(
    staff: StaffUser, point: ObservationPoint, day: date, counts: dict[str, int], note: str | None, reason: str
) -> LedgerEntry:
    """The org department corrects (or fills in) any past day of a point, locked or not.

    The event keeps who, why, and the counts before and after, so the figures already reported can
    be reconciled with the corrected ones.
    """
    if day > today():
        raise ValidationFailed(errors={"day": ["不能登记未来的日期"]})
    if counts["irrelevant_meetings"] > counts["meetings"]:
        raise ValidationFailed(errors={"irrelevant_meetings": ["陪会次数（与本点无关的会议）不能多于参会次数"]})
    entry = db.session.scalar(select(LedgerEntry).where(LedgerEntry.point_id == point.id, LedgerEntry.day == day))
    before = None if entry is None else {**{n: getattr(entry, n) for n in LEDGER_COUNTS}, "note": entry.note}
    moment = now()
    if entry is None:
        entry = _entry(point, day, moment, "org")
    for name in LEDGER_COUNTS:
        setattr(entry, name, counts[name])
    entry.note = (note or "").strip() or None
    entry.recorded_by, entry.updated_at, entry.source = staff.id, moment, "org"
    after = {**{n: getattr(entry, n) for n in LEDGER_COUNTS}, "note": entry.note}
    record_event(
        None,
        "ledger_correct",
        actor_type="staff",
        actor_id=staff.id,
        actor_role=staff.role,
        reason=reason,
        data={"point": point.code, "day": day.isoformat(), "before": before, "after": after},
    )
    db.session.flush()
    return entry
