"""月度分析: the monthly tag-trend summary, built from monthly facts only and stored as published.

Once stored, a month's summary does not change when its facts are recomputed or late feedback
arrives; only an explicit ``force`` regeneration replaces it (triage's chosen excerpts survive).
These are the commands (they change state and flush; the caller commits); reading, listing and
presenting a summary are in ``reporting.summaries_views``.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from feedback.clock import now
from feedback.errors import Conflict, ValidationFailed
from feedback.extensions import db
from feedback.labels import KIND_LABELS, QUOTE_CHARS, excerpt
from feedback.models import Feedback, MonthlySummary
from feedback.services.reporting.monthly_facts import (
    current_month,
    ensure_months,
    has_facts,
    label,
    refresh_month,
    shift,
)
from feedback.services.reporting.summaries_views import build_payload, find

EXCERPT_LIMIT = 5


def generate(month: date, *, force: bool = False) -> MonthlySummary:
    """Refresh the month's facts, then build and store its summary from them and from the facts of
    the 12 months before (trend, baselines), which must exist already: they are built by the jobs
    (``refresh_facts``, ``publish``) or ``flask summaries facts``, never inside a request, and a
    month missing them is refused with the months named. A ``force``d rebuild also refreshes the
    month before (late changes there land in the month-on-month figures, as the nightly job does).

    A month not yet over is refused: stored early, it would stop the 1st-of-month job publishing it.
    """
    if month >= current_month():
        raise ValidationFailed(errors={"month": ["该月尚未结束，只能生成已结束月份的分析"]})
    summary = find(month)
    if summary is not None and not force:
        raise Conflict(
            f"{label(month)} 的月度分析已发布；如需按最新数据重新生成，请选择强制重新生成", code="summary_published"
        )
    missing = missing_months(month)
    if missing:
        raise Conflict(
            f"生成 {label(month)} 的月度分析还需要此前月份的统计数据，以下月份尚未统计："
            f"{'、'.join(label(m) for m in sorted(missing))}。这些统计由每月 1 日的月度分析任务补齐；"
            f"如需现在生成，请联系系统管理员运行统计命令（flask summaries facts --for {label(month)}）后重试",
            code="facts_missing",
        )
    refresh_month(month)
    if force:
        refresh_month(shift(month, -1))
    payload = build_payload(month)
    if summary is None:
        summary = MonthlySummary(month=month, excerpts=[])
        db.session.add(summary)
    summary.payload, summary.generated_at = payload, now()
    db.session.flush()
    return summary


def missing_months(month: date) -> list[date]:
    """The months before ``month`` whose facts its summary reads and that have none yet."""
    return [m for m in earlier_months(month) if not has_facts(m)]


def prepare(month: date) -> int:
    """Build the facts of the earlier months a summary of ``month`` reads where missing (jobs and
    ``flask summaries facts`` only: a year of months is far too long for a request)."""
    return ensure_months(earlier_months(month))


def earlier_months(month: date) -> list[date]:
    return [shift(month, -i) for i in range(1, 13)]


def set_excerpts(summary: MonthlySummary, items: list[dict]) -> None:
    """典型反映 chosen by triage: the content, trimmed, with kind and tags; nothing about who or where."""
    ids = [item["feedback_id"] for item in items]
    if len(items) > EXCERPT_LIMIT or len(set(ids)) != len(ids):
        raise ValidationFailed(errors={"items": [f"最多选择 {EXCERPT_LIMIT} 条不重复的反映"]})
    found = {f.id: f for f in db.session.scalars(select(Feedback).where(Feedback.id.in_(ids)))}
    end = shift(summary.month, 1)
    bad = [
        i
        for i in ids
        if i not in found
        or not summary.month <= found[i].submitted_on < end
        or found[i].status == "merged"
        or found[i].purged_at is not None
    ]
    if bad:
        raise ValidationFailed(errors={"items": [f"以下反映不是本月可选的反映：{'、'.join(map(str, bad))}"]})
    summary.excerpts = [_excerpt(found[item["feedback_id"]], item.get("note")) for item in items]
    db.session.flush()


def _excerpt(feedback: Feedback, note: str | None) -> dict:
    text = excerpt(feedback.content, QUOTE_CHARS)
    return {
        "feedback_id": feedback.id,
        "kind": feedback.kind,
        "kind_label": KIND_LABELS[feedback.kind],
        "tags": [t.name for t in sorted((ft.tag for ft in feedback.tags), key=lambda t: (t.sort_order, t.id))],
        "text": text,
        "note": note or None,
    }
