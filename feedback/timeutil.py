"""Local (China Standard Time) dates; the database keeps UTC."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from feedback.models.base import utcnow

CHINA = ZoneInfo("Asia/Shanghai")


def local_today() -> date:
    return utcnow().astimezone(CHINA).date()


def local_date(moment: datetime) -> date:
    return moment.astimezone(CHINA).date()
