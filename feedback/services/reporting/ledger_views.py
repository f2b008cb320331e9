"""Read models of the observation-point ledger: a point's days, missing days, monthly and quarterly figures.

Commands (recording and correcting a day) and the period rules live in ``reporting.ledger``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, or_, select

from feedback.calendar import CalendarOutOfRange
from feedback.errors import NotFound, ValidationFailed
from feedback.extensions import db
from feedback.models import ObservationPoint, StaffUser
from feedback.models.ledger import LEDGER_COUNTS, LedgerEntry
from feedback.services.handling import deadlines
from feedback.services.reporting.ledger import (
    COUNT_LABELS,
    Period,
    first_editable_day,
    month_period,
    today,
    workdays,
)

# ------------------------------------------------------------------------------------------- reading


def point_by_code(code: str) -> ObservationPoint:
    point = db.session.scalar(select(ObservationPoint).where(ObservationPoint.code == code))
    if point is None:
        raise NotFound("未找到该观测点", code="point_not_found")
    return point


def first_days(point_ids: list[int] | None = None) -> dict[int, date]:
    """Each point's first entry ever (uses the (point_id, day) unique index)."""
    query = select(LedgerEntry.point_id, func.min(LedgerEntry.day)).group_by(LedgerEntry.point_id)
    if point_ids is not None:
        query = query.where(LedgerEntry.point_id.in_(point_ids))
    return dict(db.session.execute(query).all())


def missing_days(
    point: ObservationPoint, filled: set[date], first: date | None, working: list[date], current: date
) -> list[date]:
    """The missing-day rule of the module docstring, on precomputed working days."""
    if not point.active:
        return []
    return [d for d in working if (first is None or first <= d) and d < current and d not in filled]


def _recorders(entries: list[LedgerEntry]) -> dict[int, str]:
    ids = {e.recorded_by for e in entries if e.recorded_by}
    if not ids:
        return {}
    rows = db.session.execute(
        select(StaffUser.id, StaffUser.display_name, StaffUser.username).where(StaffUser.id.in_(ids))
    ).all()
    return {r.id: r.display_name or r.username for r in rows}


def entry_view(entry: LedgerEntry, names: dict[int, str], editable_from: date, current: date) -> dict[str, Any]:
    return {
        "day": entry.day,
        **{n: getattr(entry, n) for n in LEDGER_COUNTS},
        "note": entry.note,
        "recorded_by": names.get(entry.recorded_by) if entry.recorded_by else None,
        "updated_at": entry.updated_at,
        "editable": editable_from <= entry.day <= current,
        "source": entry.source,
    }


def describe(entry: LedgerEntry) -> dict[str, Any]:
    """One entry as the liaison sees it right after saving."""
    current = today()
    return entry_view(entry, _recorders([entry]), first_editable_day(current), current)


def point_days(point: ObservationPoint, period: Period) -> dict[str, Any]:
    """One point's entries and missing days in ``period`` (liaison's own list, org's point view)."""
    current = today()
    entries = list(
        db.session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.point_id == point.id, LedgerEntry.day.between(period.start, period.end))
            .order_by(LedgerEntry.day)
        )
    )
    first = first_days([point.id]).get(point.id)
    editable_from, names = first_editable_day(current), _recorders(entries)
    missing = missing_days(point, {e.day for e in entries}, first, workdays(period), current)
    return {
        "point": {"code": point.code, "name": point.name},
        "start": period.start,
        "end": period.end,
        "first_day": first,
        "editable_from": editable_from,
        "entries": [entry_view(e, names, editable_from, current) for e in entries],
        "missing_days": missing,
        "totals": {n: sum(getattr(e, n) for e in entries) for n in LEDGER_COUNTS},
    }


DAY_KINDS = {"workday": "工作日", "rest": "休息日", "holiday": "节假日", "makeup": "调休上班"}


def day_kinds(period: Period) -> dict[date, str]:
    """What each day of ``period`` is on the working calendar the missing-day rule uses.

    "holiday" is a weekday off (法定节假日 or its bridge days), "makeup" a weekend worked (调休上班);
    both come from the official schedule, or the statutory rules in a year without one (provisional).
    """
    calendar = deadlines.work_calendar()
    kinds = {}
    try:
        for day in period.days():
            work, weekend = calendar.is_workday(day), day.weekday() >= 5
            kinds[day] = ("makeup" if weekend else "workday") if work else ("rest" if weekend else "holiday")
    except CalendarOutOfRange as exc:
        raise ValidationFailed(errors={"month": [f"{exc}，请选择 {exc.first_year} 年以后的时间"]}) from None
    return kinds


# ---------------------------------------------------------------------------------------- statistics


def _zero() -> dict[str, int]:
    return dict.fromkeys(LEDGER_COUNTS, 0)


def period_stats(period: Period, field: str = "month") -> dict[int, dict[str, Any]]:
    """Per point: count totals, days filled, days missing, for active points and any with entries."""
    current = today()
    sums = select(
        LedgerEntry.point_id,
        func.count(),
        *[func.coalesce(func.sum(getattr(LedgerEntry, n)), 0) for n in LEDGER_COUNTS],
    )
    in_period = LedgerEntry.day.between(period.start, period.end)
    totals = {row[0]: row for row in db.session.execute(sums.where(in_period).group_by(LedgerEntry.point_id))}
    filled: dict[int, set[date]] = {}
    for point_id, day in db.session.execute(select(LedgerEntry.point_id, LedgerEntry.day).where(in_period)):
        filled.setdefault(point_id, set()).add(day)
    points = db.session.scalars(
        select(ObservationPoint)
        .where(or_(ObservationPoint.active.is_(True), ObservationPoint.id.in_(list(totals))))
        .order_by(ObservationPoint.code)
    ).all()
    firsts, working = first_days(), workdays(period, field)
    stats: dict[int, dict[str, Any]] = {}
    for point in points:
        row, first = totals.get(point.id), firsts.get(point.id)
        missing = missing_days(point, filled.get(point.id, set()), first, working, current)
        before_first = [d for d in working if d < current and (first is None or d < first)]
        stats[point.id] = {
            "point": point,
            "first_day": first,
            "totals": dict(zip(LEDGER_COUNTS, (int(v) for v in row[2:]), strict=True)) if row else _zero(),
            "days_filled": int(row[1]) if row else 0,
            "days_missing": len(missing),
            "never_reported": point.active and first is None,
            # Kept the ledger for the whole period: no working day fell before the first entry.
            "full_period": point.active and not before_first,
        }
    return stats


def _point_row(stat: dict[str, Any]) -> dict[str, Any]:
    point = stat["point"]
    return {
        "code": point.code,
        "name": point.name,
        "active": point.active,
        "first_day": stat["first_day"],
        "totals": stat["totals"],
        "days_filled": stat["days_filled"],
        "days_missing": stat["days_missing"],
        "never_reported": stat["never_reported"],
    }


def _sum_totals(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {n: sum(r["totals"][n] for r in rows) for n in LEDGER_COUNTS}


def monthly(year: int, month: int) -> dict[str, Any]:
    """月统计: each point's totals and filled/missing days, and the overall totals."""
    period = month_period(year, month)
    if period.start > today():
        raise ValidationFailed(errors={"month": ["该月份尚未开始"]})
    rows = [_point_row(s) for s in period_stats(period).values()]
    return {
        "month": f"{year:04d}-{month:02d}",
        "start": period.start,
        "end": period.end,
        "partial": period.end >= today(),
        "points": rows,
        "overall": {
            "totals": _sum_totals(rows),
            "days_filled": sum(r["days_filled"] for r in rows),
            "days_missing": sum(r["days_missing"] for r in rows),
            "points": len(rows),
            "points_with_missing": sum(1 for r in rows if r["days_missing"]),
            "points_never_reported": sum(1 for r in rows if r["never_reported"]),
        },
    }


def _year_earlier(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _change(current: dict[str, int], previous: dict[str, int]) -> tuple[dict[str, int], list[str]]:
    change = {n: current[n] - previous[n] for n in LEDGER_COUNTS}
    return change, [n for n in LEDGER_COUNTS if change[n] > 0]


def _gap_note(now_stat: dict[str, Any] | None, then_stat: dict[str, Any] | None) -> str | None:
    """Why a point's comparison is unreliable, in words for the bulletin; None when it is sound."""
    notes = []
    for label, stat in (("本季度", now_stat), ("去年同期", then_stat)):
        if stat is None or not stat["full_period"]:
            notes.append(f"{label}未全程登记")
        elif stat["days_missing"]:
            notes.append(f"{label}缺报 {stat['days_missing']} 个工作日")
    return "；".join(notes) + "，增减仅供参考，不能视为减负成效" if notes else None


def quarterly(year: int, quarter: int) -> dict[str, Any]:
    """季度通报: each point against the same quarter a year earlier; flags every count that went up.

    A quarter still running is compared with the same dates a year earlier (同期). Points whose
    ledger has gaps in either period are listed, so a gap is not read as a decrease.
    """
    start, end = month_period(year, 3 * quarter - 2).start, month_period(year, 3 * quarter).end
    current_day = today()
    if start > current_day:
        raise ValidationFailed(errors={"quarter": ["该季度尚未开始"]})
    this = Period(start, min(end, current_day))
    then = Period(_year_earlier(this.start), _year_earlier(this.end))
    now_stats, then_stats = period_stats(this, "quarter"), period_stats(then, "quarter")
    points, flags, gaps = [], [], []
    for point_id in sorted(
        now_stats.keys() | then_stats.keys(), key=lambda i: (now_stats.get(i) or then_stats[i])["point"].code
    ):
        a, b = now_stats.get(point_id), then_stats.get(point_id)
        point = (a if a is not None else then_stats[point_id])["point"]
        cur, prev = (a["totals"] if a else _zero()), (b["totals"] if b else _zero())
        change, increased = _change(cur, prev)
        note = _gap_note(a, b)
        points.append(
            {
                "code": point.code,
                "name": point.name,
                "current": _side(a),
                "previous": _side(b),
                "change": change,
                "increased": increased,
                "complete": note is None,
                "note": note,
            }
        )
        flags += [
            {
                "code": point.code,
                "name": point.name,
                "count": n,
                "label": COUNT_LABELS[n],
                "current": cur[n],
                "previous": prev[n],
                "change": change[n],
                "complete": note is None,
            }
            for n in increased
        ]
        if note:
            gaps.append({"code": point.code, "name": point.name, "note": note})
    overall_now = _sum_totals([p["current"] for p in points])
    overall_then = _sum_totals([p["previous"] for p in points])
    change, increased = _change(overall_now, overall_then)
    return {
        "quarter": f"{year}Q{quarter}",
        "current_period": {"start": this.start, "end": this.end},
        "previous_period": {"start": then.start, "end": then.end},
        "partial": this.end < end,
        "points": points,
        "flags": flags,
        "incomplete_points": gaps,
        "overall": {"current": overall_now, "previous": overall_then, "change": change, "increased": increased},
    }


def _side(stat: dict[str, Any] | None) -> dict[str, Any]:
    if stat is None:
        return {"totals": _zero(), "days_filled": 0, "days_missing": 0}
    return {"totals": stat["totals"], "days_filled": stat["days_filled"], "days_missing": stat["days_missing"]}


# ----------------------------------------------------------------------------------------- reminders


def points_without_entry(day: date) -> tuple[int, list[ObservationPoint]]:
    """(active points checked, those among them with no entry for ``day``)."""
    active = db.session.scalars(
        select(ObservationPoint).where(ObservationPoint.active.is_(True)).order_by(ObservationPoint.code)
    ).all()
    filled = set(db.session.scalars(select(LedgerEntry.point_id).where(LedgerEntry.day == day)))
    return len(active), [p for p in active if p.id not in filled]
