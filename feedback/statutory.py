"""Statutory public holidays (《全国年节及纪念日放假办法》, as amended in 2024, in force from 2025).

Each November or December the State Council publishes the next year's schedule, which moves days
around (调休) but always includes every statutory holiday. Until that schedule reaches us, the
statutory days alone — computed here — plus weekends are the best honest estimate of a year's
working days; deadlines computed on them are provisional. Lunar dates and the Qingming solar term
come from ``lunar_python`` (an astronomical calendar library), not from a table of our own.
Pure domain code: no Flask, nothing at import time.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from lunar_python import Lunar

# The 2024 amendment (国务院令第 795 号) added 除夕 and 5-02; earlier years followed other rules.
AMENDED_FROM = 2025


def _solar(lunar: Lunar) -> date:
    solar = lunar.getSolar()
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


@lru_cache(maxsize=64)
def statutory_holidays(year: int) -> dict[date, str]:
    """Every statutory holiday of ``year`` with its festival's name (13 days a year, 12 when 中秋 falls in 国庆)."""
    if year < AMENDED_FROM:
        raise ValueError(f"statutory rules of the 2024 amendment apply from {AMENDED_FROM}, not {year}")
    new_year = _solar(Lunar.fromYmd(year, 1, 1))  # 春节 of this Gregorian year: late January to February
    qingming = Lunar.fromYmd(year, 1, 1).getJieQiTable()["清明"]
    days = {
        date(year, 1, 1): "元旦",
        **{new_year + timedelta(days=i): "春节" for i in range(-1, 3)},  # 除夕 to 初三
        date(qingming.getYear(), qingming.getMonth(), qingming.getDay()): "清明节",
        date(year, 5, 1): "劳动节",
        date(year, 5, 2): "劳动节",
        _solar(Lunar.fromYmd(year, 5, 5)): "端午节",
        _solar(Lunar.fromYmd(year, 8, 15)): "中秋节",
        **{date(year, 10, d): "国庆节" for d in (1, 2, 3)},
    }
    # When 中秋 falls on 10-01..10-03 (2028-10-03) the day is one holiday, named 国庆节.
    return days
