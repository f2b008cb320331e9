"""Daily reminder to observation points that have not filled in yesterday's ledger."""

from __future__ import annotations

from datetime import timedelta

from feedback.jobs.context import JobContext
from feedback.services.handling import deadlines
from feedback.services.notices.queue import enqueue
from feedback.services.reporting import ledger, ledger_views
from feedback.timeutil import local_date

WEEKDAYS = "一二三四五六日"


def run(ctx: JobContext) -> dict[str, int]:
    """Queue one reminder per active point with no entry for yesterday, when yesterday was a working day.

    "Yesterday" is the China-time date before ``ctx.now``. Nothing is due for a holiday or weekend,
    so the morning after one sends nothing. The dedupe key names the point and the day, so a rerun
    (or a second scheduler) queues nothing more. In a year whose official schedule is not known yet,
    the provisional working days (statutory holidays only) decide.
    """
    yesterday = local_date(ctx.now) - timedelta(days=1)
    if not deadlines.work_calendar().is_workday(yesterday):
        return {"points_checked": 0, "reminders_queued": 0}
    checked, missing = ledger_views.points_without_entry(yesterday)
    last_day = yesterday + timedelta(days=ledger.correction_days())
    when = f"{yesterday.month}月{yesterday.day}日（星期{WEEKDAYS[yesterday.weekday()]}）"
    queued = 0
    for point in missing:
        message = enqueue(
            kind="ledger_missing",
            dedupe_key=f"ledger:{point.code}:{yesterday.isoformat()}",
            subject=f"日登记提醒：{point.name}{when}尚未填报",
            body=(
                f"{point.name}（{point.code}）{when}的减负日登记尚未填写。请在 {last_day.isoformat()} 前补填"
                f"（会议、陪会、收文、督查检查、填表报数、打卡签到），逾期将锁定，计为缺报。"
            ),
            point_id=point.id,
            payload={"point": point.code, "day": yesterday.isoformat()},
        )
        queued += message is not None
    return {"points_checked": checked, "reminders_queued": queued}
