"""Working-day arithmetic on the Chinese official calendar, for assignment deadlines.

Deadlines are promised as "自交办之日起 N 个工作日内", so they must follow the State Council's
holiday schedule, including make-up workdays (调休上班的周末). That schedule changes every year and
is easy to get wrong by hand, so the data comes from the maintained ``chinesecalendar`` library; an
operator-edited supplement (config/holidays.yaml) only fills years the library does not cover yet.
A year known to neither raises ``CalendarDataMissing`` instead of silently treating holidays as
workdays. Pure domain code: no Flask, and nothing happens at import time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar
import yaml

CHINA = ZoneInfo("Asia/Shanghai")
_TICK = timedelta(microseconds=1)

DEFAULT_DEADLINES: dict[str, int] = {
    "acknowledge": 1,
    "return_window": 2,
    "respond_direct": 15,
    "respond_escalate": 15,
    "respond_consult": 20,
    "extension_max": 10,
    "due_soon": 2,
    "tongbao_after": 5,
}


class CalendarDataMissing(Exception):
    """No holiday data for a year: computing a deadline there would silently ignore its holidays."""

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(
            f"缺少 {year} 年的节假日数据，无法按工作日计算期限。"
            f"请升级 chinesecalendar 到已收录 {year} 年安排的版本，"
            f"或按国务院办公厅发布的 {year} 年部分节假日安排通知，"
            f"在 config/holidays.yaml 中补充该年的放假日期和调休上班日期。"
        )


@dataclass(frozen=True)
class YearSupplement:
    """One year's official schedule, copied by an operator before the library ships it."""

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]  # make-up workdays (调休上班的周末)


def _as_date(value: Any, where: str) -> date:
    # YAML parses 2027-01-01 as a date; quoted strings are accepted too. Datetimes are a mistake.
    if isinstance(value, datetime):
        raise ValueError(f"{where}：{value} 应为日期（YYYY-MM-DD），不能带时间")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"{where}：无法识别的日期 {value!r}，应为 YYYY-MM-DD")


def _parse_year(key: Any, body: Any, source: str) -> YearSupplement:
    if isinstance(key, bool) or not (isinstance(key, int) or (isinstance(key, str) and key.isdigit())):
        raise ValueError(f"{source}：年份 {key!r} 应为四位数字")
    year = int(key)
    if not isinstance(body, dict) or set(body) - {"holidays", "workdays"}:
        raise ValueError(f"{source}：{year} 年应只包含 holidays（放假日期）和 workdays（调休上班日期）两项")
    parsed: dict[str, frozenset[date]] = {}
    for field in ("holidays", "workdays"):
        items = body.get(field) or []
        if not isinstance(items, list):
            raise ValueError(f"{source}：{year} 年的 {field} 应为日期列表")
        days = frozenset(_as_date(item, f"{source} {year} 年 {field}") for item in items)
        for day in sorted(days):
            if day.year != year:
                raise ValueError(f"{source}：{day} 不在 {year} 年内，却写在 {year} 年的 {field} 中")
        parsed[field] = days
    if not parsed["holidays"]:
        # An empty year would mark it "covered" and count every weekday as a workday.
        raise ValueError(f"{source}：{year} 年没有列出任何放假日期，请照国务院办公厅通知填写完整")
    both = parsed["holidays"] & parsed["workdays"]
    if both:
        raise ValueError(f"{source}：{', '.join(map(str, sorted(both)))} 不能既是放假日又是调休上班日")
    weekdays = sorted(d for d in parsed["workdays"] if d.weekday() < 5)
    if weekdays:
        # Make-up workdays are always weekends; a weekday here is almost certainly a typo.
        raise ValueError(f"{source}：调休上班日 {', '.join(map(str, weekdays))} 不是周末，请核对")
    return YearSupplement(year, parsed["holidays"], parsed["workdays"])


def load_supplement(path: str | Path) -> dict[int, YearSupplement]:
    """Read and validate config/holidays.yaml; a missing or empty file means no supplement."""
    path = Path(path)
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, ValueError) as exc:  # PyYAML raises ValueError for dates like 2027-13-01
        raise ValueError(f"{path}：YAML 格式错误或无法识别的日期：{exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict) or set(data) - {"years"}:
        raise ValueError(f"{path}：顶层应只有 years 一项")
    years = data.get("years") or {}
    if not isinstance(years, dict):
        raise ValueError(f"{path}：years 应为“年份: {{holidays: [...], workdays: [...]}}”的映射")
    result: dict[int, YearSupplement] = {}
    for key, body in years.items():
        supplement = _parse_year(key, body, str(path))
        result[supplement.year] = supplement
    return result


def _aware(moment: datetime, name: str) -> datetime:
    if not isinstance(moment, datetime) or moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {moment!r}")
    return moment


def _local_date(moment: datetime) -> date:
    return moment.astimezone(CHINA).date()


def _end_of_day(day: date) -> datetime:
    """The instant a local day ends (00:00 China time of the next day), in UTC."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=CHINA).astimezone(UTC)


class WorkCalendar:
    """Working days in China: chinesecalendar for the years it covers, else the supplement."""

    def __init__(self, supplement: dict[int, YearSupplement] | None = None) -> None:
        self._supplement = dict(supplement or {})
        # The library's own notion of coverage; its data tables are keyed by date.
        self._first_year = min(chinese_calendar.holidays).year
        self._last_year = max(chinese_calendar.holidays).year

    def is_workday(self, day: date) -> bool:
        """Whether offices work on ``day``; the library wins over the supplement for covered years."""
        if isinstance(day, datetime) or not isinstance(day, date):
            raise ValueError(f"is_workday expects a date, got {day!r}")
        if self._first_year <= day.year <= self._last_year:
            return chinese_calendar.is_workday(day)
        extra = self._supplement.get(day.year)
        if extra is None:
            raise CalendarDataMissing(day.year)
        if day in extra.workdays:
            return True
        return day.weekday() < 5 and day not in extra.holidays

    def add_working_days(self, start: datetime, n: int) -> datetime:
        """End of the n-th working day after start's local date (the assignment day never counts)."""
        day = _local_date(_aware(start, "start"))
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"n must be a non-negative int, got {n!r}")
        counted = 0
        while counted < n:
            day += timedelta(days=1)
            if self.is_workday(day):
                counted += 1
        return _end_of_day(day)

    def working_days_between(self, start: datetime, end: datetime) -> int:
        """Working days d with local(start) < d <= local(end): the inverse of add_working_days."""
        _aware(start, "start")
        _aware(end, "end")
        if end <= start:
            return 0
        day, last = _local_date(start), _local_date(end)
        count = 0
        while day < last:
            day += timedelta(days=1)
            count += self.is_workday(day)
        return count

    def working_days_left(self, now: datetime, due: datetime) -> int:
        """Working days still available (0 = due today); when overdue, minus the working days since.

        Overdue is always negative (at least -1), even over a weekend right after the due moment,
        so callers can rely on ``< 0``; ``deadline_state`` remains the authority on overdue.
        """
        _aware(now, "now")
        _aware(due, "due")
        if now < due:
            return self.working_days_between(now, due - _TICK)
        return -max(1, self.working_days_between(due - _TICK, now))

    def deadline_state(self, now: datetime, due: datetime, soon: int = 2) -> str:
        """Traffic light for lists: "overdue", "due_soon" (within ``soon`` working days) or "on_time"."""
        if _aware(now, "now") >= _aware(due, "due"):
            return "overdue"
        return "due_soon" if self.working_days_left(now, due) <= soon else "on_time"

    def shift_for_pause(self, due: datetime, paused_from: datetime, paused_until: datetime) -> datetime:
        """Push ``due`` back by the working days spent waiting for the reporter (the clock stops)."""
        _aware(due, "due")
        if _aware(paused_until, "paused_until") < _aware(paused_from, "paused_from"):
            raise ValueError("paused_until is before paused_from")
        paused = self.working_days_between(paused_from, paused_until)
        if paused == 0:
            return due.astimezone(UTC)
        return self.add_working_days(due - _TICK, paused)


def deadline_days(overrides: dict | None, key: str) -> int:
    """Deadline length for ``key`` in working days: the configured value, else the default."""
    if key not in DEFAULT_DEADLINES:
        raise KeyError(f"unknown deadline key {key!r}; expected one of {sorted(DEFAULT_DEADLINES)}")
    value = (overrides or {}).get(key, DEFAULT_DEADLINES[key])
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"期限配置 {key} 应为不小于 0 的整数（工作日数），当前为 {value!r}")
    return value
