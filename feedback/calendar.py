"""Working-day arithmetic on the Chinese official calendar, for assignment deadlines.

Deadlines are promised as "自交办之日起 N 个工作日内", so they follow the State Council's holiday
schedule, including make-up workdays (调休上班的周末). Each year's schedule comes from the
maintained ``chinesecalendar`` library, or from the operator's config/holidays.yaml for a year the
library does not cover yet. A later year — the schedule is published only in November or December,
and reaches the library later still — is counted on the statutory holidays alone
(``feedback.statutory``) plus weekends: such days are *provisional*, and so is every deadline that
rests on them, until the official schedule arrives and the deadline is recomputed. Nothing here ever
fails for want of holiday data; only a year before the library's first one is out of range.
Pure domain code: no Flask, and nothing happens at import time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

import chinese_calendar
import yaml

from feedback import yaml_files
from feedback.statutory import AMENDED_FROM, statutory_holidays
from feedback.timeutil import CHINA

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

SOURCE_LIBRARY, SOURCE_FILE, SOURCE_STATUTORY = "library", "file", "statutory"
PROVISIONAL_NOTE = "期限暂按法定节假日计算，国务院办公厅公布安排后自动校正"


class CalendarOutOfRange(ValueError):
    """A day before any holiday data we have: counting working days there would be a guess."""

    def __init__(self, year: int, first_year: int) -> None:
        self.year, self.first_year = year, first_year
        super().__init__(f"{year} 年早于节假日数据的起始年份（{first_year} 年），无法按工作日计算")


@dataclass(frozen=True)
class Deadline:
    """A due moment and whether it rests on provisional (statutory-only) days."""

    at: datetime
    provisional: bool


@dataclass(frozen=True)
class _YearTable:
    """One year's working days as running counts, so working-day arithmetic never walks the calendar.

    ``before[i]`` is the number of working days among the year's first ``i`` days (``before[0] == 0``,
    ``before[-1]`` is the year's total); ``workdays[k]`` is the day-of-year index (0 = 1 January) of the
    year's (k+1)-th working day.
    """

    first_ordinal: int
    before: tuple[int, ...]
    workdays: tuple[int, ...]

    @property
    def total(self) -> int:
        return self.before[-1]


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
    if year >= AMENDED_FROM:
        # Every official schedule contains each statutory day; one missing means a festival was left out.
        missing = {d: name for d, name in statutory_holidays(year).items() if d not in parsed["holidays"]}
        if missing:
            listed = "、".join(f"{name} {d}" for d, name in sorted(missing.items()))
            raise ValueError(
                f"{source}：{year} 年的放假日期缺少法定节假日 {listed}，请照国务院办公厅通知把该年填写完整"
            )
    return YearSupplement(year, parsed["holidays"], parsed["workdays"])


def load_supplement(path: str | Path) -> dict[int, YearSupplement]:
    """Read and validate config/holidays.yaml; a missing or empty file means no supplement."""
    path = Path(path)
    if not path.exists():
        return {}
    try:
        data = yaml_files.safe_load(path.read_text(encoding="utf-8"))
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
    """Working days in China: the library, else the operator's supplement, else statutory rules."""

    def __init__(self, supplement: dict[int, YearSupplement] | None = None) -> None:
        self._supplement = dict(supplement or {})
        # The library's own notion of coverage; its data tables are keyed by date.
        self._first_year = min(chinese_calendar.holidays).year
        self._last_year = max(chinese_calendar.holidays).year
        # Built lazily per year from is_workday; the instance is replaced when the holiday file changes.
        self._tables: dict[int, _YearTable] = {}

    @property
    def first_year(self) -> int:
        return min(self._first_year, *self._supplement) if self._supplement else self._first_year

    def source(self, year: int) -> str:
        """Where ``year``'s days come from: "library", "file" or "statutory" (provisional)."""
        if self._first_year <= year <= self._last_year:
            return SOURCE_LIBRARY
        if year in self._supplement:
            return SOURCE_FILE
        if year < max(self._first_year, AMENDED_FROM):
            raise CalendarOutOfRange(year, self.first_year)
        return SOURCE_STATUTORY

    def is_provisional(self, day: date) -> bool:
        return self.source(day.year) == SOURCE_STATUTORY

    def official_until(self) -> date:
        """The last day of unbroken official coverage (library years, then supplement years)."""
        year = self._last_year
        while year + 1 in self._supplement:
            year += 1
        return date(year, 12, 31)

    def is_workday(self, day: date) -> bool:
        """Whether offices work on ``day``; the library wins over the supplement for covered years."""
        if isinstance(day, datetime) or not isinstance(day, date):
            raise ValueError(f"is_workday expects a date, got {day!r}")
        source = self.source(day.year)
        if source == SOURCE_LIBRARY:
            return chinese_calendar.is_workday(day)
        if source == SOURCE_FILE:
            extra = self._supplement[day.year]
            return day in extra.workdays or (day.weekday() < 5 and day not in extra.holidays)
        return day.weekday() < 5 and day not in statutory_holidays(day.year)

    def rests_on_provisional(self, start: datetime, due: datetime) -> bool:
        """Whether any day counted from ``start`` up to the day ``due`` falls on is provisional."""
        first = _local_date(_aware(start, "start")) + timedelta(days=1)
        last = _local_date(_aware(due, "due") - _TICK)
        return any(self.source(year) == SOURCE_STATUTORY for year in range(first.year, last.year + 1))

    def deadline(self, start: datetime, n: int) -> Deadline:
        """End of the n-th working day after start's local date, and whether that rests on provisional days."""
        due = self.add_working_days(start, n)
        return Deadline(due, self.rests_on_provisional(start, due))

    def add_working_days(self, start: datetime, n: int) -> datetime:
        """End of the n-th working day after start's local date (the assignment day never counts)."""
        day = _local_date(_aware(start, "start"))
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"n must be a non-negative int, got {n!r}")
        if n == 0:
            return _end_of_day(day)
        first = day + timedelta(days=1)
        year, table = first.year, self._table(first.year)
        index = table.before[first.toordinal() - table.first_ordinal] + n - 1  # k-th workday of the year
        while index >= table.total:
            index -= table.total
            year += 1
            table = self._table(year)
        return _end_of_day(date.fromordinal(table.first_ordinal + table.workdays[index]))

    def working_days_between(self, start: datetime, end: datetime) -> int:
        """Working days d with local(start) < d <= local(end): the inverse of add_working_days."""
        _aware(start, "start")
        _aware(end, "end")
        if end <= start:
            return 0
        first, last = _local_date(start) + timedelta(days=1), _local_date(end)
        return self._count(first, last) if first <= last else 0

    def _table(self, year: int) -> _YearTable:
        """The running counts of ``year`` (CalendarOutOfRange before the calendar's data starts)."""
        table = self._tables.get(year)
        if table is None:
            self.source(year)  # raises for a year out of range, exactly as is_workday would
            start = date(year, 1, 1)
            days = (date(year + 1, 1, 1) - start).days
            flags = [self.is_workday(start + timedelta(days=i)) for i in range(days)]
            before = [0]
            for flag in flags:
                before.append(before[-1] + flag)
            workdays = tuple(i for i, flag in enumerate(flags) if flag)
            table = self._tables[year] = _YearTable(start.toordinal(), tuple(before), workdays)
        return table

    def _count(self, first: date, last: date) -> int:
        """Working days d with first <= d <= last (first <= last); one table look-up per year spanned."""
        count = 0
        for year in range(first.year, last.year + 1):
            table = self._table(year)
            lo = first.toordinal() - table.first_ordinal if year == first.year else 0
            hi = last.toordinal() - table.first_ordinal + 1 if year == last.year else len(table.before) - 1
            count += table.before[hi] - table.before[lo]
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


def deadline_days(overrides: dict | None, key: str) -> int:
    """Deadline length for ``key`` in working days: the configured value, else the default."""
    if key not in DEFAULT_DEADLINES:
        raise KeyError(f"unknown deadline key {key!r}; expected one of {sorted(DEFAULT_DEADLINES)}")
    value = (overrides or {}).get(key, DEFAULT_DEADLINES[key])
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"期限配置 {key} 应为不小于 0 的整数（工作日数），当前为 {value!r}")
    return value


def library_version() -> str:
    """The installed chinesecalendar release, for the operator's status report."""
    try:
        return metadata.version("chinesecalendar")
    except metadata.PackageNotFoundError:  # pragma: no cover - installed from source without metadata
        return "unknown"
