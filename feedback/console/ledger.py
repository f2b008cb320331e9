"""观测点台账 (triage, admin, viewer; read-only here): the heat map of points × burden counts × month,
each point's completeness calendar, and the printable quarterly bulletin (只减不增).

Every figure comes from ``reporting.ledger_views`` as the API gives it; this module only lays the
figures out (which month column, which shade) and never counts anything itself.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import g, render_template, request
from marshmallow import ValidationError

from feedback.api.staff.schemas_ledger import LABELS, LedgerMonthIn, LedgerQuarterIn
from feedback.console import bp
from feedback.console.pages import error_text
from feedback.errors import AppError, Forbidden
from feedback.services.handling import deadlines
from feedback.services.reporting import ledger, ledger_views
from feedback.services.reporting.ledger import COUNT_LABELS, LEDGER_COUNTS
from feedback.services.reporting.monthly_facts import label, shift
from feedback.workflow import READER_ROLES

HEAT_MONTHS = 6
HEAT_LEVELS = 5


def _reader() -> None:
    if g.staff.role not in READER_ROLES:
        raise Forbidden("只有组织部和领导可以查看观测点台账")


def _checked(schema, name: str, default: str) -> tuple[str, str | None]:
    """The query value if the API's schema accepts it, else the default and the schema's message."""
    text = request.args.get(name, "").strip() or default
    try:
        schema().load({name: text})
    except ValidationError as exc:
        return default, "；".join(exc.messages.get(name, ["格式不正确"]))
    return text, None


def shade(value: int | None, top: int) -> str:
    """The CSS class of a heat-map cell: six steps relative to the largest figure shown."""
    if value is None:
        return "heat-none"
    if value <= 0 or top <= 0:
        return "heat-0"
    return f"heat-{max(1, min(HEAT_LEVELS, -(-value * HEAT_LEVELS // top)))}"


def _month_stats(text: str) -> tuple[dict | None, str | None]:
    """``ledger_views.monthly`` of one month, or (None, why) for a month it cannot count (future, too early)."""
    try:
        return ledger_views.monthly(*ledger.parse_month(text)), None
    except AppError as error:
        return None, error_text(error)


@bp.route("/ledger", endpoint="ledger")
def ledger_page():
    _reader()
    this_month = label(ledger.today().replace(day=1))
    month, problem = _checked(LedgerMonthIn, "month", this_month)
    count = request.args.get("count", "meetings")
    if count not in LEDGER_COUNTS:
        count = "meetings"
    first = date(int(month[:4]), int(month[5:]), 1)
    months = [label(shift(first, -i)) for i in range(HEAT_MONTHS - 1, -1, -1)]
    results = {m: _month_stats(m) for m in months}
    stats = {m: result[0] for m, result in results.items()}
    current, why = results[month]
    problem = problem or why
    points = {p["code"]: p["name"] for m in months if stats[m] for p in stats[m]["points"]}
    by_point = {m: {p["code"]: p["totals"][count] for p in stats[m]["points"]} for m in months if stats[m]}
    trend = {code: {m: by_point.get(m, {}).get(code) for m in months} for code in points}
    trend_top = max([v for row in trend.values() for v in row.values() if v is not None] or [0])
    month_top = max([p["totals"][n] for p in current["points"] for n in LEDGER_COUNTS] or [0]) if current else 0
    return render_template(
        "console/ledger.html",
        month=month,
        this_month=this_month,
        problem=problem,
        current=current,
        months=months,
        points=points,
        trend=trend,
        trend_top=trend_top,
        month_top=month_top,
        count=count,
        counts=LEDGER_COUNTS,
        labels=LABELS,
        count_labels=COUNT_LABELS,
        shade=shade,
        quarter=_quarter_of(ledger.today()),
    )


def _quarter_of(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def _weeks(start: date, end: date) -> list[list[date | None]]:
    """The month's days in Monday-first weeks, None where a week runs past the month."""
    weeks: list[list[date | None]] = []
    week: list[date | None] = [None] * start.weekday()
    day = start
    while day <= end:
        week.append(day)
        if len(week) == 7:
            weeks.append(week)
            week = []
        day += timedelta(days=1)
    if week:
        weeks.append(week + [None] * (7 - len(week)))
    return weeks


@bp.route("/ledger/points/<string(maxlength=16):code>")
def ledger_point(code: str):
    _reader()
    point = ledger_views.point_by_code(code)
    month, problem = _checked(LedgerMonthIn, "month", label(ledger.today().replace(day=1)))
    period = ledger.month_period(*ledger.parse_month(month))
    days = ledger_views.point_days(point, period)
    kinds = ledger_views.day_kinds(period)
    filled = {e["day"]: e for e in days["entries"]}
    first = date(int(month[:4]), int(month[5:]), 1)
    return render_template(
        "console/ledger_point.html",
        point=point,
        month=month,
        previous=label(shift(first, -1)),
        following=label(shift(first, 1)),
        problem=problem,
        days=days,
        kinds=kinds,
        kind_labels=ledger_views.DAY_KINDS,
        filled=filled,
        missing=set(days["missing_days"]),
        weeks=_weeks(period.start, period.end),
        today=ledger.today(),
        provisional=deadlines.work_calendar().is_provisional(period.start),
        counts=LEDGER_COUNTS,
        labels=LABELS,
    )


@bp.route("/ledger/bulletin")
def ledger_bulletin():
    _reader()
    quarter, problem = _checked(LedgerQuarterIn, "quarter", _quarter_of(ledger.today()))
    try:
        bulletin = ledger_views.quarterly(*ledger.parse_quarter(quarter.upper()))
    except AppError as error:
        bulletin, problem = None, problem or error_text(error)
    return render_template(
        "console/ledger_bulletin.html",
        quarter=quarter.upper(),
        problem=problem,
        bulletin=bulletin,
        counts=LEDGER_COUNTS,
        labels=LABELS,
        count_labels=COUNT_LABELS,
    )
