"""config/holidays.yaml text for tests. The schedules tests write are TEST DATA, never an official one."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from feedback.statutory import statutory_holidays


def statutory_plus(year: int, *extra: date) -> list[date]:
    """A year's statutory holidays plus the bridge days a test invents."""
    return sorted(statutory_holidays(year)) + list(extra)


def holidays_yaml(year: int, holidays: Iterable[date], workdays: Iterable[date] = ()) -> str:
    def days(items: Iterable[date]) -> str:
        return ", ".join(d.isoformat() for d in items)

    return f"years:\n  {year}:\n    holidays: [{days(holidays)}]\n    workdays: [{days(workdays)}]\n"
