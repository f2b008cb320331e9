"""Working-day deadlines on the official Chinese calendar.

Every holiday fact asserted here was checked against chinesecalendar 1.11.0
(``chinese_calendar.get_holiday_detail``) before being written down:
2026 Mid-autumn Fri 09-25..Sun 09-27 off; National Day Thu 10-01..Wed 10-07 off;
make-up workdays Sun 2026-09-20 and Sat 2026-10-10 (also Sun 01-04, Sat 02-14, Sat 02-28, Sat 05-09).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from feedback.calendar import (
    CHINA,
    DEFAULT_DEADLINES,
    PROVISIONAL_NOTE,
    CalendarOutOfRange,
    WorkCalendar,
    YearSupplement,
    deadline_days,
    load_supplement,
)
from feedback.statutory import statutory_holidays
from tests.support.holidays import holidays_yaml, statutory_plus

TICK = timedelta(microseconds=1)
CAL = WorkCalendar()
REPO_CONFIG = Path(__file__).resolve().parent.parent / "config" / "holidays.yaml"


def cst(*args: int) -> datetime:
    return datetime(*args, tzinfo=CHINA)


def end_of(day: date) -> datetime:
    """00:00 China time of the next day, in UTC: the due moment for a deadline ending on ``day``."""
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=CHINA).astimezone(UTC)


def test_library_facts_for_2026():
    for d in range(1, 8):
        assert not CAL.is_workday(date(2026, 10, d)), f"2026-10-0{d} is National Day"
    assert CAL.is_workday(date(2026, 10, 10))  # Saturday, make-up workday
    assert date(2026, 10, 10).weekday() == 5
    assert CAL.is_workday(date(2026, 9, 20))  # Sunday, make-up workday
    assert date(2026, 9, 20).weekday() == 6
    assert not CAL.is_workday(date(2026, 9, 25))  # Friday, Mid-autumn
    assert not CAL.is_workday(date(2026, 10, 11))  # plain Sunday
    assert CAL.is_workday(date(2026, 10, 8))


def test_fifteen_days_across_national_day_and_make_up_saturday():
    # Assigned Wed 2026-09-23 21:30 China time; the assignment day itself does not count.
    #  1 Thu 09-24 | Fri 09-25..Sun 09-27 Mid-autumn off
    #  2 Mon 09-28, 3 Tue 09-29, 4 Wed 09-30 | Thu 10-01..Wed 10-07 National Day off
    #  5 Thu 10-08, 6 Fri 10-09, 7 Sat 10-10 (make-up workday) | Sun 10-11 off
    #  8..12 Mon 10-12..Fri 10-16 | weekend | 13 Mon 10-19, 14 Tue 10-20, 15 Wed 10-21
    # Due: end of Wed 2026-10-21 = 2026-10-22 00:00 China = 2026-10-21 16:00 UTC.
    due = CAL.add_working_days(cst(2026, 9, 23, 21, 30), 15)
    assert due == datetime(2026, 10, 21, 16, 0, tzinfo=UTC)
    assert due.tzinfo is UTC
    assert CAL.working_days_between(cst(2026, 9, 23, 21, 30), due - TICK) == 15


def test_late_evening_china_equals_early_morning_utc_same_local_day():
    # 2026-09-22 16:10 UTC is already 2026-09-23 00:10 in China; 15:59 UTC is 23:59 the same local day.
    early = datetime(2026, 9, 22, 16, 10, tzinfo=UTC)
    late = datetime(2026, 9, 23, 15, 59, tzinfo=UTC)
    assert CAL.add_working_days(early, 15) == CAL.add_working_days(late, 15) == end_of(date(2026, 10, 21))
    # One minute earlier in UTC is still 2026-09-22 in China: Wed 09-23 becomes day 1.
    assert CAL.add_working_days(datetime(2026, 9, 22, 15, 59, tzinfo=UTC), 1) == end_of(date(2026, 9, 23))


def test_n_zero_is_end_of_start_day_even_on_a_holiday():
    assert CAL.add_working_days(cst(2026, 10, 3, 9), 0) == end_of(date(2026, 10, 3))
    assert CAL.add_working_days(cst(2026, 10, 8, 9), 0) == datetime(2026, 10, 8, 16, tzinfo=UTC)


def test_one_day_over_the_holiday_lands_on_first_workday():
    # Assigned on 09-30: next working day is Thu 10-08.
    assert CAL.add_working_days(cst(2026, 9, 30, 10), 1) == end_of(date(2026, 10, 8))
    # Assigned during the holiday: also 10-08.
    assert CAL.add_working_days(cst(2026, 10, 4, 10), 1) == end_of(date(2026, 10, 8))
    # Assigned Fri 10-09: the make-up Saturday 10-10 is day 1.
    assert CAL.add_working_days(cst(2026, 10, 9, 10), 1) == end_of(date(2026, 10, 10))


def test_working_days_between():
    # (09-30, 10-12]: 10-08, 10-09, 10-10, 10-12.
    assert CAL.working_days_between(cst(2026, 9, 30, 18), cst(2026, 10, 12, 8)) == 4
    assert CAL.working_days_between(cst(2026, 10, 1, 0), cst(2026, 10, 7, 23)) == 0
    assert CAL.working_days_between(cst(2026, 10, 12, 8), cst(2026, 9, 30, 18)) == 0
    assert CAL.working_days_between(cst(2026, 10, 12, 8), cst(2026, 10, 12, 20)) == 0


def test_inverse_property_over_many_starts():
    start = cst(2026, 1, 1, 12)
    for offset in range(0, 300, 7):
        s = start + timedelta(days=offset, hours=offset % 24)
        for n in (0, 1, 2, 15, 20):
            assert CAL.working_days_between(s, CAL.add_working_days(s, n) - TICK) == n


def test_days_left_positive_then_negative_when_overdue():
    assigned = cst(2026, 9, 30, 10)
    due = CAL.add_working_days(assigned, 2)  # end of Fri 10-09
    assert due == end_of(date(2026, 10, 9))
    assert CAL.working_days_left(assigned, due) == 2
    assert CAL.working_days_left(cst(2026, 10, 8, 9), due) == 1
    assert CAL.working_days_left(cst(2026, 10, 9, 23, 59), due) == 0
    # Overdue: Sat 10-10 is a make-up workday, so one working day late at once.
    assert CAL.working_days_left(due, due) == -1
    assert CAL.working_days_left(cst(2026, 10, 12, 9), due) == -2  # 10-10 and 10-12
    # Due end of Fri 10-16; Saturday is not a workday but overdue is still negative.
    due_fri = end_of(date(2026, 10, 16))
    assert CAL.working_days_left(cst(2026, 10, 17, 9), due_fri) == -1
    assert CAL.working_days_left(cst(2026, 10, 20, 9), due_fri) == -2


def test_traffic_light_boundaries():
    due = end_of(date(2026, 10, 21))  # Wed
    # Fri 10-16 through Sun 10-18: (today, 10-21] holds 10-19, 10-20, 10-21 -> 3 left.
    assert CAL.working_days_left(cst(2026, 10, 16, 9), due) == 3
    assert CAL.deadline_state(cst(2026, 10, 16, 9), due) == "on_time"
    assert CAL.deadline_state(cst(2026, 10, 19) - TICK, due) == "on_time"  # last instant of Sunday
    # Mon 10-19: 10-20, 10-21 -> 2 left, the first due_soon moment is Mon 00:00.
    assert CAL.working_days_left(cst(2026, 10, 19, 0), due) == 2
    assert CAL.deadline_state(cst(2026, 10, 19, 0), due) == "due_soon"
    assert CAL.deadline_state(due - TICK, due) == "due_soon"
    assert CAL.deadline_state(due, due) == "overdue"
    assert CAL.deadline_state(cst(2026, 10, 19, 9), due, soon=1) == "on_time"


def test_working_days_waited_and_lengthened_deadline():
    # Waiting for the reporter from Mon 09-28 to Thu 10-08: (09-28, 10-08] has 09-29, 09-30, 10-08.
    assert CAL.working_days_between(cst(2026, 9, 28, 10), cst(2026, 10, 8, 15)) == 3
    assert CAL.working_days_between(cst(2026, 10, 2), cst(2026, 10, 6)) == 0  # inside the holiday
    # A 15-day deadline from Wed 09-23 (due Wed 10-21) lengthened by those 3: 10-22, 10-23, Mon 10-26.
    assert CAL.add_working_days(cst(2026, 9, 23, 21, 30), 18) == end_of(date(2026, 10, 26))


def test_year_without_official_schedule_counts_statutory_holidays_only():
    # chinesecalendar 1.11.0 stops at 2026; 2027 follows the statutory rules (2024 amendment) alone.
    assert CAL.source(2026) == "library" and CAL.source(2027) == "statutory"
    assert CAL.official_until() == date(2026, 12, 31)
    assert not CAL.is_workday(date(2027, 1, 1))  # 元旦, a Friday
    assert CAL.is_workday(date(2027, 1, 4))  # Monday: no guessed bridge day
    # 春节 2027: 除夕 Fri 02-05 .. 初三 Mon 02-08 (初一 is Sat 02-06); Tue 02-09 is a working day.
    assert [CAL.is_workday(date(2027, 2, d)) for d in range(4, 11)] == [True, False, False, False, False, True, True]
    assert not CAL.is_workday(date(2027, 4, 5))  # 清明 (solar term), Monday
    assert not CAL.is_workday(date(2027, 6, 9))  # 端午 (lunar 5-5), Wednesday
    assert not CAL.is_workday(date(2027, 9, 15))  # 中秋 (lunar 8-15), Wednesday
    assert [CAL.is_workday(date(2027, 10, d)) for d in range(1, 9)] == [False] * 3 + [True] * 5  # Fri-Sun off
    assert not CAL.is_workday(date(2027, 2, 20))  # a Saturday: no make-up workdays are guessed


def test_deadline_running_into_2027_is_provisional():
    # Assigned Tue 2026-12-15: 12 working days to Thu 12-31, then 01-01 off, weekend, 01-04 .. 01-08 (17),
    # 01-11, 01-12, 01-13 (20). Due at the end of Wed 2027-01-13, provisional.
    deadline = CAL.deadline(cst(2026, 12, 15, 10), 20)
    assert deadline.at == end_of(date(2027, 1, 13)) and deadline.provisional
    # Wholly inside 2026: official.
    deadline = CAL.deadline(cst(2026, 12, 1, 10), 15)
    assert deadline.at == end_of(date(2026, 12, 22)) and not deadline.provisional
    # Ending on the last official day is official; one day more is not.
    assert not CAL.deadline(cst(2026, 12, 30, 10), 1).provisional
    assert CAL.deadline(cst(2026, 12, 31, 10), 1) == CAL.deadline(cst(2026, 12, 31, 10), 1)
    assert CAL.deadline(cst(2026, 12, 31, 10), 1).provisional
    assert "暂按法定节假日" in PROVISIONAL_NOTE


def test_statutory_days_agree_with_the_published_schedules():
    # The computed statutory days of years the library covers must all be official holidays.
    for year in (2025, 2026):
        days = statutory_holidays(year)
        assert len(days) == 13
        assert all(not CAL.is_workday(day) for day in days), year
    assert date(2026, 2, 16) in statutory_holidays(2026)  # 除夕 2026
    assert len(statutory_holidays(2028)) == 12  # 中秋 2028-10-03 coincides with 国庆


def test_years_before_any_data_are_out_of_range():
    with pytest.raises(CalendarOutOfRange) as info:
        CAL.is_workday(date(2003, 12, 31))
    assert info.value.first_year == 2004 and "2004" in str(info.value)


def test_supplement_covers_2027():
    # Fictional test data, NOT the official 2027 schedule.
    fake = YearSupplement(2027, frozenset({date(2027, 1, 1), date(2027, 1, 4)}), frozenset({date(2027, 1, 9)}))
    cal = WorkCalendar({2027: fake})
    assert not cal.is_workday(date(2027, 1, 4))  # listed holiday (Monday)
    assert cal.is_workday(date(2027, 1, 5))
    assert cal.is_workday(date(2027, 1, 9))  # listed make-up Saturday
    assert not cal.is_workday(date(2027, 1, 10))  # plain Sunday
    # From Thu 2026-12-31: 01-01 off, 01-02/03 weekend, 01-04 off, then 01-05..01-08, 01-09 (Sat).
    assert cal.add_working_days(cst(2026, 12, 31, 10), 5) == end_of(date(2027, 1, 9))
    # The library wins for a year it covers.
    cal2 = WorkCalendar({2026: YearSupplement(2026, frozenset({date(2026, 10, 8)}), frozenset())})
    assert cal2.is_workday(date(2026, 10, 8))


# Fictional test data, NOT the official 2027 schedule: the statutory days plus some bridge days.
TEST_2027_HOLIDAYS = statutory_plus(
    2027, date(2027, 2, 4), date(2027, 2, 9), date(2027, 2, 10), date(2027, 10, 4), date(2027, 10, 5)
)
TEST_2027_WORKDAYS = [date(2027, 1, 30), date(2027, 10, 9)]


def _yaml_2027(*extra_holidays: date) -> str:
    return holidays_yaml(2027, [*TEST_2027_HOLIDAYS, *extra_holidays], TEST_2027_WORKDAYS)


def test_repo_supplement_is_empty():
    assert load_supplement(REPO_CONFIG) == {}


def test_load_supplement_from_yaml(tmp_path: Path):
    path = tmp_path / "holidays.yaml"
    path.write_text(_yaml_2027())
    loaded = load_supplement(path)
    assert loaded[2027].holidays == set(TEST_2027_HOLIDAYS)
    assert loaded[2027].workdays == set(TEST_2027_WORKDAYS)
    cal = WorkCalendar(loaded)
    assert cal.source(2027) == "file" and cal.official_until() == date(2027, 12, 31)
    assert cal.is_workday(date(2027, 1, 30)) and not cal.is_workday(date(2027, 2, 9))
    assert not cal.deadline(cst(2026, 12, 15, 10), 20).provisional
    assert load_supplement(tmp_path / "missing.yaml") == {}


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("years:\n  2027:\n    holidays: [2026-12-31]\n", "不在 2027 年内"),
        ("years:\n  2027:\n    holidays: [2027-01-09]\n    workdays: [2027-01-09]\n", "既是放假日又是调休上班日"),
        ("years:\n  2027:\n    holidays: [2027-01-01]\n    workdays: [2027-01-05]\n", "不是周末"),
        ("years:\n  2027:\n    holidays: []\n", "没有列出任何放假日期"),
        ("years:\n  2027:\n    holidays: [2027-13-01]\n", "无法识别的日期"),
        ("years:\n  2027:\n    holidays: [2027-01-01, 2027-10-01]\n", "缺少法定节假日 春节 2027-02-05"),
        ("years:\n  2027:\n    holidays: [2027-01-01 08:00:00]\n", "不能带时间"),
        ("years:\n  2027:\n    holiday: [2027-01-01]\n", "holidays"),
        ("years:\n  next:\n    holidays: [2027-01-01]\n", "年份"),
        ("2027:\n  holidays: [2027-01-01]\n", "顶层"),
        ("years: [\n", "YAML"),
    ],
)
def test_load_supplement_rejects_bad_files(tmp_path: Path, body: str, fragment: str):
    path = tmp_path / "holidays.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ValueError, match=fragment):
        load_supplement(path)


def test_holiday_on_weekend_is_fine_in_supplement(tmp_path: Path):
    path = tmp_path / "holidays.yaml"
    path.write_text(_yaml_2027(date(2027, 1, 2)))  # a Saturday
    assert date(2027, 1, 2) in load_supplement(path)[2027].holidays


def test_naive_datetimes_rejected():
    naive = datetime(2026, 9, 23, 10)
    aware = cst(2026, 9, 23, 10)
    with pytest.raises(ValueError):
        CAL.add_working_days(naive, 1)
    with pytest.raises(ValueError):
        CAL.working_days_between(aware, naive)
    with pytest.raises(ValueError):
        CAL.working_days_left(naive, aware)
    with pytest.raises(ValueError):
        CAL.deadline_state(aware, naive)
    with pytest.raises(ValueError):
        CAL.add_working_days(aware, -1)
    with pytest.raises(ValueError):
        CAL.is_workday(aware)


def test_deadline_days_defaults_and_overrides():
    assert DEFAULT_DEADLINES["respond_direct"] == 15 and DEFAULT_DEADLINES["respond_consult"] == 20
    assert deadline_days(None, "acknowledge") == 1
    assert deadline_days({}, "return_window") == 2
    assert deadline_days(None, "extension_max") == 10
    assert deadline_days({"respond_consult": 30}, "respond_consult") == 30
    with pytest.raises(KeyError):
        deadline_days(None, "respond_unknown")
    with pytest.raises(ValueError, match="期限配置"):
        deadline_days({"acknowledge": -1}, "acknowledge")
    with pytest.raises(ValueError):
        deadline_days({"acknowledge": "1"}, "acknowledge")
