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
from feedback.services.reporting.monthly_facts import current_month, ensure_months, label, refresh_month, shift
from feedback.services.reporting.summaries_views import build_payload, find

EXCERPT_LIMIT = 5


def generate(month: date, *, force: bool = False) -> MonthlySummary:
    """Refresh the month's facts (and the 12 months before it: where missing, or all of them when
    ``force``d, since the trend and baselines read them), then build and store.

    A month not yet over is refused: stored early, it would stop the 1st-of-month job publishing it.
    """
    if month >= current_month():
        raise ValidationFailed(errors={"month": ["该月尚未结束，只能生成已结束月份的分析"]})
    summary = find(month)
    if summary is not None and not force:
        raise Conflict(
            f"{label(month)} 的月度分析已发布；如需按最新数据重新生成，请选择强制重新生成", code="summary_published"
        )
    refresh_month(month)
    earlier = [shift(month, -i) for i in range(1, 13)]
    if force:  # the trend reads these too: a forced rebuild must not show their stale facts
        for other in earlier:
            refresh_month(other)
    else:
        ensure_months(earlier)
    payload = build_payload(month)
    if summary is None:
        summary = MonthlySummary(month=month, excerpts=[])
        db.session.add(summary)
    summary.payload, summary.generated_at = payload, now()
    db.session.flush()
    return summary


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
