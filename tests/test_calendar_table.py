"""The per-year running-count tables of WorkCalendar give exactly the day-by-day walk's answers.

The reference below is the walk the calendar used before the tables (one ``is_workday`` per day).
Hypothesis draws moments over 2004..2030 — library years, a supplement year (fictional 2027
schedule, NOT the official one) and provisional statutory-only years — and every public answer that
rests on working-day counts must agree, including the CalendarOutOfRange cases at the early edge.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedback.calendar import (
    CHINA,
    CalendarOutOfRange,
    Deadline,
    WorkCalendar,
    YearSupplement,
)
from feedback.statutory import statutory_holidays

TICK = timedelta(microseconds=1)

FAKE_2027 = YearSupplement(
    2027,
    frozenset(statutory_holidays(2027)) | {date(2027, 2, 4), date(2027, 10, 4), date(2027, 10, 5)},
    frozenset({date(2027, 1, 30), date(2027, 10, 9)}),
)
CALENDARS = {"library+statutory": WorkCalendar(), "with 2027 supplement": WorkCalendar({2027: FAKE_2027})}


# --- the reference: the day-by-day walk -----------------------------------------------------


def _local(moment: datetime) -> date:
    return moment.astimezone(CHINA).date()


def _end_of_day(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=CHINA).astimezone(UTC)


def walk_add(cal: WorkCalendar, start: datetime, n: int) -> datetime:
    day, counted = _local(start), 0
    while counted < n:
        day += timedelta(days=1)
        if cal.is_workday(day):
            counted += 1
    return _end_of_day(day)


def walk_between(cal: WorkCalendar, start: datetime, end: datetime) -> int:
    if end <= start:
        return 0
    day, last, count = _local(start), _local(end), 0
    while day < last:
        day += timedelta(days=1)
        count += cal.is_workday(day)
    return count


def walk_left(cal: WorkCalendar, now: datetime, due: datetime) -> int:
    if now < due:
        return walk_between(cal, now, due - TICK)
    return -max(1, walk_between(cal, due - TICK, now))


def walk_state(cal: WorkCalendar, now: datetime, due: datetime, soon: int) -> str:
    if now >= due:
        return "overdue"
    return "due_soon" if walk_left(cal, now, due) <= soon else "on_time"


def outcome(fn, *args):
    """The answer, or the out-of-range error's (year, first_year): both must match."""
    try:
        return fn(*args)
    except CalendarOutOfRange as exc:
        return ("out of range", exc.year, exc.first_year)


# --- the property ----------------------------------------------------------------------------

moments = st.datetimes(
    min_value=datetime(2003, 12, 25),
    max_value=datetime(2030, 12, 31, 23, 59, 59),
    timezones=st.sampled_from([UTC, CHINA]),
)
calendars = st.sampled_from(sorted(CALENDARS))


@settings(max_examples=400, deadline=None)
@given(name=calendars, start=moments, n=st.one_of(st.integers(0, 40), st.integers(0, 800)))
def test_add_working_days_and_deadline_match_the_walk(name: str, start: datetime, n: int):
    cal = CALENDARS[name]
    expected = outcome(walk_add, cal, start, n)
    assert outcome(cal.add_working_days, start, n) == expected
    if isinstance(expected, datetime):
        provisional = outcome(cal.rests_on_provisional, start, expected)
        wanted = provisional if isinstance(provisional, tuple) else Deadline(expected, provisional)
        assert outcome(cal.deadline, start, n) == wanted
        # The inverse: counting back from the due moment gives n again.
        assert cal.working_days_between(start, expected - TICK) == n


# The second moment within about three years of the first: the walk it is checked against goes day
# by day, and spans of decades cost the suite a minute; test_every_day_of_2004_to_2030 covers the
# whole range from one origin.
gaps = st.timedeltas(min_value=timedelta(days=-1200), max_value=timedelta(days=1200))


@settings(max_examples=400, deadline=None)
@given(name=calendars, a=moments, gap=gaps, zone=st.sampled_from([UTC, CHINA]), soon=st.integers(0, 5))
def test_counts_left_and_state_match_the_walk(name: str, a: datetime, gap: timedelta, zone, soon: int):
    cal = CALENDARS[name]
    b = (a + gap).astimezone(zone)
    assert outcome(cal.working_days_between, a, b) == outcome(walk_between, cal, a, b)
    assert outcome(cal.working_days_left, a, b) == outcome(walk_left, cal, a, b)
    assert outcome(cal.deadline_state, a, b, soon) == outcome(walk_state, cal, a, b, soon)


def test_every_day_of_2004_to_2030_matches_the_walk():
    """Exhaustive over the range, one day apart: counts from a fixed start and one-day additions."""
    for cal in CALENDARS.values():
        origin = datetime(2004, 1, 1, 12, tzinfo=CHINA)
        day, count = date(2004, 1, 1), 0
        while day < date(2031, 1, 1):
            day += timedelta(days=1)
            count += cal.is_workday(day)
            moment = datetime(day.year, day.month, day.day, 9, tzinfo=CHINA)
            assert cal.working_days_between(origin, moment) == count
            assert cal.add_working_days(moment, 1) == walk_add(cal, moment, 1)


def test_a_new_calendar_sees_changed_holiday_data():
    """The services build a new WorkCalendar when holidays.yaml changes; its tables are its own."""
    start = datetime(2026, 12, 31, 10, tzinfo=CHINA)
    provisional = WorkCalendar()
    assert provisional.deadline(start, 5).provisional
    supplemented = WorkCalendar({2027: FAKE_2027})
    # The fictional 2027 schedule gives 2027-02-04 off, which the statutory rules do not.
    feb = datetime(2027, 2, 1, 10, tzinfo=CHINA)
    assert supplemented.add_working_days(feb, 4) == walk_add(supplemented, feb, 4)
    assert supplemented.add_working_days(feb, 4) != provisional.add_working_days(feb, 4)
    assert not supplemented.deadline(start, 5).provisional


def test_out_of_range_start_still_fails_like_the_walk():
    cal = WorkCalendar()
    with pytest.raises(CalendarOutOfRange):
        cal.add_working_days(datetime(2003, 12, 30, tzinfo=CHINA), 1)
    # From the last day before coverage, the first counted day is in range: no error, as before.
    start = datetime(2003, 12, 31, 12, tzinfo=CHINA)
    assert cal.add_working_days(start, 1) == walk_add(cal, start, 1)
