"""The schedule, as data. Job ids are stable: runs, leases and operators refer to them.

``func`` is ``module:function`` taking a JobContext and returning a dict of counts.
Times are China Standard Time.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class JobSpec:
    id: str
    func: str
    trigger: str  # "cron" or "interval", as APScheduler 3 names them
    trigger_args: dict = field(default_factory=dict)
    description: str = ""
    lease_seconds: int = 900


SCHEDULE: tuple[JobSpec, ...] = (
    JobSpec(
        "deadline-watch",
        "feedback.jobs.deadline_watch:run",
        "cron",
        {"hour": "8-20", "minute": 5},
        "期限监控：临期提醒、未签收提醒、超期督办、超期 5 个工作日列入通报",
    ),
    JobSpec(
        "outbox-sender",
        "feedback.jobs.outbox_sender:run",
        "interval",
        {"minutes": 1},
        "发送待发通知（日志、邮件、Webhook），失败按退避重试",
        lease_seconds=300,
    ),
    JobSpec(
        "monthly-facts",
        "feedback.jobs.monthly_summary:refresh_facts",
        "cron",
        {"hour": 1, "minute": 30},
        "重算本月与上月的月度统计事实（幂等）",
    ),
    JobSpec(
        "monthly-summary",
        "feedback.jobs.monthly_summary:publish",
        "cron",
        {"day": 1, "hour": 6, "minute": 0},
        "每月 1 日生成上月标签趋势分析",
    ),
    JobSpec(
        "ledger-reminder",
        "feedback.jobs.ledger_reminders:run",
        "cron",
        {"hour": 9, "minute": 0},
        "提醒昨天未填日登记的观测点联络员",
    ),
    JobSpec(
        "calendar-watch",
        "feedback.jobs.calendar_watch:run",
        "cron",
        {"hour": 7, "minute": 40},
        "节假日安排：正式安排到达后校正暂定期限；正式数据即将用完或 holidays.yaml 有误时提醒管理员",
    ),
    JobSpec(
        "retention",
        "feedback.jobs.retention:run",
        "cron",
        {"hour": 3, "minute": 15},
        "清理已办结较久的反映正文、往来消息和附件，以及过期的幂等记录和登录会话",
        lease_seconds=3600,
    ),
    JobSpec(
        "search-merge",
        "feedback.jobs.search_merge:run",
        "interval",
        {"minutes": 10},
        "整理全文检索索引（SQLite）：合并提交时写入的索引分段，使提交不必承担合并",
        lease_seconds=300,
    ),
)
