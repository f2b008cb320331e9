"""A stored monthly summary for console tests: September 2026 with point cells small enough to hide."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")
MEETING = "县里的秸秆焚烧会议要求每个街道书记都去陪会，我们街道根本没有庄稼地，一个月被叫去三次。"
FORMS = "省统计局的报表系统每月要求乡镇重复填报同一批数据，报表台账越来越多，干部天天加班填表。"
CHECKINS = "各种政务APP每天都要打卡签到，工作群里还要接龙截图留痕，一天要花一个小时应付。"


def store_september(app, db) -> None:
    """7 feedback at GC01 and 1 each at GC02 and GC03 in September 2026, summary stored on 9 October.

    Needs the ``seeded`` reference data; leaves the clock frozen at 2026-10-09 10:00 China time.
    """
    from feedback.services.intake.submit import submit_feedback
    from feedback.services.reporting import summaries

    clock = app.extensions["clock"]
    plan = [(MEETING, "GC01", "village")] * 4 + [(FORMS, "GC01", "township")] * 3
    plan += [(CHECKINS, "GC02", "village"), (FORMS, "GC03", "community")]
    for day, (content, point, level) in enumerate(plan, start=1):
        clock.freeze(datetime(2026, 9, day, 10, tzinfo=CHINA))
        submit_feedback("test", {"kind": "problem", "content": content, "point_code": point, "unit_level": level})
        db.session.commit()
    clock.freeze(datetime(2026, 10, 9, 10, tzinfo=CHINA))
    summaries.prepare(date(2026, 9, 1))  # the earlier months' facts, as the monthly job builds them
    summaries.generate(date(2026, 9, 1))
    db.session.commit()
