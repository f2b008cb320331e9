"""Provisional deadlines: correct them when the official holiday schedule arrives, warn before it is needed.

A due time that rests on a year without an official schedule was counted on statutory holidays
alone (``feedback.calendar``). Once the schedule is known — a chinesecalendar upgrade, or the
operator's config/holidays.yaml — every such due time of a running assignment whose deadline has not
passed is recomputed from its start and working-day counts. Each one that moved gets an event and
one notice to its department; one that did not move just loses its provisional mark. A second run
finds nothing to do. Deadlines already passed, and assignments no longer running, are left as they
were: their overdue handling (督办, 通报) has happened on the dates people were told.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from feedback.calendar import SOURCE_FILE, SOURCE_LIBRARY, library_version
from feedback.extensions import db
from feedback.models import Assignment
from feedback.services.handling import deadlines
from feedback.services.handling.events import record_event
from feedback.services.notices.queue import enqueue
from feedback.workflow import RUNNING_ASSIGNMENT

COVERAGE_WARNING_DAYS = 60
SOURCE_LABELS = {
    SOURCE_LIBRARY: "chinesecalendar 库",
    SOURCE_FILE: "config/holidays.yaml",
    "statutory": "仅按法定节假日（暂定）",
}


def _day(moment: datetime) -> str:
    return deadlines.day_of(moment).isoformat()


def _tell(assignment: Assignment, before: datetime) -> None:
    old, new = _day(before), _day(assignment.due_at)
    name, fid = assignment.department.name, assignment.feedback_id
    record_event(
        fid,
        "deadline_corrected",
        actor_role="system",
        assignment_id=assignment.id,
        visible_to_reporter=assignment.role == "primary",
        reason=f"按国务院办公厅公布的节假日安排，{name}的办理期限由 {old} 校正为 {new}",
        data={
            "from_day": old,
            "due_at": assignment.due_at.isoformat(),
            "due_provisional": assignment.due_provisional,
            "reporter_note": f"办理期限按正式公布的节假日安排校正为 {new}",
        },
    )
    enqueue(
        kind="deadline_corrected",
        dedupe_key=f"assignment:{assignment.id}:deadline:{new}",
        subject=f"【期限校正】第 {fid} 号反映的交办单办理期限校正为 {new}",
        body=f"{name}：国务院办公厅公布了节假日安排，第 {fid} 号反映的交办单（编号 {assignment.id}）"
        f"原按法定节假日暂定的办理期限 {old}，现按正式安排校正为 {new}。请按新的期限办理。",
        department_id=assignment.department_id,
        payload={"assignment_id": assignment.id, "feedback_id": fid, "from_day": old, "due_day": new},
    )


def recompute(moment: datetime) -> dict[str, int]:
    """Recompute every provisional due time still ahead; flushes, the caller commits."""
    query = (
        select(Assignment)
        .where(
            Assignment.due_provisional.is_(True), Assignment.status.in_(RUNNING_ASSIGNMENT), Assignment.due_at > moment
        )
        .order_by(Assignment.id)
    )
    counts = {"checked": 0, "moved": 0, "confirmed": 0, "still_provisional": 0}
    for assignment in db.session.scalars(query):
        counts["checked"] += 1
        before = assignment.due_at
        moved = deadlines.apply(assignment)
        if moved:
            counts["moved"] += 1
            _tell(assignment, before)
        elif assignment.due_provisional:
            counts["still_provisional"] += 1
        else:
            counts["confirmed"] += 1
    db.session.flush()
    return counts


@dataclass(frozen=True)
class YearStatus:
    year: int
    source: str
    label: str


@dataclass(frozen=True)
class CalendarStatus:
    years: list[YearStatus]
    official_until: date
    provisional_from: date  # assignments made on or after this day get a provisional deadline
    longest_days: int
    file_problem: str | None
    days_left: int  # days from today until official coverage ends

    @property
    def coverage_ending(self) -> bool:
        return self.days_left <= COVERAGE_WARNING_DAYS


def longest_deadline() -> int:
    return max(deadlines.respond_days(path) for path in ("direct", "escalate", "consult"))


def provisional_from(longest: int) -> date:
    """The first day on which a new deadline of ``longest`` working days runs past official coverage."""
    calendar = deadlines.work_calendar()
    day, counted = calendar.official_until(), 0
    while True:
        if calendar.is_workday(day):
            counted += 1
            if counted == longest:
                return day
        day -= timedelta(days=1)


def status(today: date) -> CalendarStatus:
    calendar = deadlines.work_calendar()
    years = []
    for year in range(today.year - 1, today.year + 2):
        source = calendar.source(year)
        label = SOURCE_LABELS[source] + (f" {library_version()}" if source == SOURCE_LIBRARY else "")
        years.append(YearStatus(year, source, label))
    until, longest = calendar.official_until(), longest_deadline()
    return CalendarStatus(
        years, until, provisional_from(longest), longest, deadlines.holiday_file_problem(), (until - today).days
    )


def warn_operator(today: date) -> int:
    """One notice to the admin when official coverage is about to end, one per bad holiday file."""
    state, queued = status(today), 0
    if state.coverage_ending:
        next_year = state.official_until.year + 1
        queued += (
            enqueue(
                kind="calendar_coverage",
                dedupe_key=f"calendar:coverage:{next_year}",
                subject=f"【节假日数据】{next_year} 年的节假日安排尚未录入",
                body=f"节假日正式安排只覆盖到 {state.official_until}（还有 {state.days_left} 天）。"
                f"自 {state.provisional_from} 起新交办的期限将暂按法定节假日计算。国务院办公厅公布 {next_year} 年"
                f"安排后，请升级 chinesecalendar 或把通知中的放假和调休上班日期填入 config/holidays.yaml"
                f"（无需重启），再用 flask calendar status 核对。",
            )
            is not None
        )
    if state.file_problem:
        digest = hashlib.sha256(state.file_problem.encode()).hexdigest()[:16]
        queued += (
            enqueue(
                kind="calendar_file_invalid",
                dedupe_key=f"calendar:file:{digest}",
                subject="【节假日数据】config/holidays.yaml 有误，未生效",
                body=f"{state.file_problem}。修正前仍沿用上一次正确的节假日数据。",
            )
            is not None
        )
    return queued
