"""Local (China Standard Time) dates; the database keeps UTC."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")
# The one spelling of a day we accept: ``date.fromisoformat`` alone also takes 20261130 and 2026-W48-1.
ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_iso_day(text: str) -> date:
    """``YYYY-MM-DD`` → date; ValueError for any other spelling."""
    if not isinstance(text, str) or not ISO_DAY.fullmatch(text):
        raise ValueError(f"day must look like YYYY-MM-DD, got {text!r}")
    return date.fromisoformat(text)


def local_date(moment: datetime) -> date:
    return moment.astimezone(CHINA).date()


def day_start(moment: datetime) -> datetime:
    """Midnight (Beijing) of the moment's local day, as aware UTC.

    Everything a reporter does is stored at this precision (DESIGN §5): an exact time could be
    matched against the moments a rate-limit store saw one person act, and so group that
    person's submissions.
    """
    local = moment.astimezone(CHINA)
    return datetime(local.year, local.month, local.day, tzinfo=CHINA).astimezone(UTC)
