"""Read models of the monthly summary (月度分析): the payload built from monthly facts, the stored
months, and one summary as one reader may see it.

Breakdowns by unit level, region and observation point are stored exact; whoever shows them
outside the org department passes them through :func:`present` with ``exact=False`` (DESIGN §5).
The commands that store a month and choose its excerpts live in ``reporting.summaries``.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import select

from feedback.errors import NotFound
from feedback.extensions import db
from feedback.labels import KIND_LABELS, UNIT_LEVELS
from feedback.models import (
    FEEDBACK_KINDS,
    Department,
    MonthlyDepartmentFact,
    MonthlyFact,
    MonthlySummary,
    ObservationPoint,
    Tag,
)
from feedback.privacy import suppress_small_cells
from feedback.services.reporting.monthly_facts import UNKNOWN, label, shift
from feedback.workflow import ORG_ROLES

SERIES_MONTHS = 12
TERM_BASELINE_MONTHS = 3
EMERGING_LIMIT = 10
MOVERS = 3
SUPPRESSED_BREAKDOWNS = ("unit_level", "region", "point")
UNKNOWN_LABEL = "未填写"


# ------------------------------------------------------------------------------------------ facts


class _Facts:
    """The fact rows of the months one summary needs, with zeros for what is missing."""

    def __init__(self, months: list[date]) -> None:
        self.rows: dict[tuple[date, str], dict[str, int]] = defaultdict(dict)
        for fact in db.session.scalars(select(MonthlyFact).where(MonthlyFact.month.in_(months))):
            self.rows[fact.month, fact.dimension][fact.key] = fact.count

    def get(self, month: date, dimension: str, key: str) -> int:
        return self.rows.get((month, dimension), {}).get(key, 0)

    def keys(self, months: list[date], dimension: str) -> set[str]:
        return {key for m in months for key in self.rows.get((m, dimension), {})}


def _pct(count: int, base: int) -> float | None:
    return None if base == 0 else round((count - base) * 100 / base, 1)


def _trend(facts: _Facts, month: date, series: list[date], dimension: str, key: str) -> dict:
    count, previous, last_year = (facts.get(m, dimension, key) for m in (month, shift(month, -1), shift(month, -12)))
    return {
        "count": count,
        "previous": previous,
        "last_year": last_year,
        "mom_change": count - previous,
        "mom_pct": _pct(count, previous),
        "yoy_change": count - last_year,
        "yoy_pct": _pct(count, last_year),
        "series": [facts.get(m, dimension, key) for m in series],
    }


# ------------------------------------------------------------------------------------------ payload


def build_payload(month: date) -> dict:
    """The whole summary of ``month`` as JSON-ready data, read from fact rows alone."""
    series = [shift(month, -i) for i in range(SERIES_MONTHS - 1, -1, -1)]
    facts = _Facts([*series, shift(month, -12)])
    tags = _tags(facts, month, series)
    return {
        "month": label(month),
        "months": [label(m) for m in series],
        "total": _trend(facts, month, series, "total", "all"),
        "tags": tags,
        "rising": [
            _mover(t) for t in sorted((t for t in tags if t["mom_change"] > 0), key=lambda t: -t["mom_change"])[:MOVERS]
        ],
        "falling": [
            _mover(t) for t in sorted((t for t in tags if t["mom_change"] < 0), key=lambda t: t["mom_change"])[:MOVERS]
        ],
        "breakdowns": _breakdowns(facts, month),
        "emerging_terms": _emerging_terms(facts, month),
        "departments": _departments(month),
    }


def _tags(facts: _Facts, month: date, series: list[date]) -> list[dict]:
    """Active tags in taxonomy order, then any other tag that has counts in the window."""
    known = list(db.session.scalars(select(Tag).order_by(Tag.sort_order, Tag.id)))
    seen = facts.keys([*series, shift(month, -12)], "tag")
    listed = [(t.code, t.name) for t in known if t.active or t.code in seen]
    listed += [(code, code) for code in sorted(seen - {t.code for t in known})]
    return [{"code": code, "name": name, **_trend(facts, month, series, "tag", code)} for code, name in listed]


def _mover(tag: dict) -> dict:
    return {key: tag[key] for key in ("code", "name", "count", "previous", "mom_change", "mom_pct")}


def _cells(facts: _Facts, month: date, dimension: str, labels: dict[str, str]) -> list[dict]:
    """Every labelled key (zeros included, so small cells have complements), then unexpected keys."""
    keys = list(labels) + sorted(facts.keys([month], dimension) - set(labels))
    return [{"key": key, "label": labels.get(key, key), "count": facts.get(month, dimension, key)} for key in keys]


def _breakdowns(facts: _Facts, month: date) -> dict[str, list[dict]]:
    points = {p.code: p for p in db.session.scalars(select(ObservationPoint).order_by(ObservationPoint.code))}
    seen = facts.keys([month], "point")
    point_labels = {code: p.name for code, p in points.items() if p.active or code in seen}
    names = current_app.config["REGION_NAMES"]
    regions = sorted(
        ({p.region_code[:6] for p in points.values() if p.active} | facts.keys([month], "region")) - {UNKNOWN}
    )
    return {
        "kind": _cells(facts, month, "kind", {k: KIND_LABELS[k] for k in FEEDBACK_KINDS}),
        "unit_level": _cells(facts, month, "unit_level", {**UNIT_LEVELS, UNKNOWN: UNKNOWN_LABEL}),
        "region": _cells(facts, month, "region", {**{r: names.get(r, r) for r in regions}, UNKNOWN: UNKNOWN_LABEL}),
        "point": _cells(facts, month, "point", point_labels),
    }


def _emerging_terms(facts: _Facts, month: date) -> list[dict]:
    """Terms up most on the average of the three months before: early warning of a new burden."""
    tag_names = set(db.session.scalars(select(Tag.name)))
    before = [shift(month, -i) for i in range(TERM_BASELINE_MONTHS, 0, -1)]
    rows: list[dict[str, Any]] = []
    for term in facts.keys([month], "term") - tag_names:
        count = facts.get(month, "term", term)
        previous = [facts.get(m, "term", term) for m in before]
        baseline = sum(previous) / TERM_BASELINE_MONTHS
        if count - baseline > 0:
            rows.append(
                {
                    "term": term,
                    "count": count,
                    "previous": previous,
                    "baseline": round(baseline, 2),
                    "growth": round(count - baseline, 2),
                }
            )
    rows.sort(key=lambda r: (-(r["count"] * TERM_BASELINE_MONTHS - sum(r["previous"])), -r["count"], r["term"]))
    return rows[:EMERGING_LIMIT]


def _departments(month: date) -> list[dict]:
    rows = db.session.execute(
        select(MonthlyDepartmentFact, Department)
        .join(Department, Department.id == MonthlyDepartmentFact.department_id)
        .where(MonthlyDepartmentFact.month == month)
    )
    out = []
    for fact, dept in rows:
        out.append(
            {
                "department_code": dept.code,
                "department_name": dept.name,
                "assigned": fact.assigned,
                "acknowledged_on_time": fact.acknowledged_on_time,
                "responded": fact.responded,
                "responded_on_time": fact.responded_on_time,
                "overdue": fact.overdue,
                "avg_response_days": round(fact.response_working_days / fact.responded, 1) if fact.responded else None,
                "rated": fact.rated,
                "satisfied": fact.satisfied,
                "satisfaction_pct": round(fact.satisfied * 100 / fact.rated, 1) if fact.rated else None,
            }
        )
    return sorted(out, key=lambda r: (-r["assigned"], r["department_code"]))


# ------------------------------------------------------------------------------------------ stored


def find(month: date) -> MonthlySummary | None:
    return db.session.scalar(select(MonthlySummary).where(MonthlySummary.month == month))


def get(month: date) -> MonthlySummary:
    summary = find(month)
    if summary is None:
        raise NotFound(f"{label(month)} 的月度分析尚未生成", code="summary_not_found")
    return summary


def index() -> list[dict]:
    """The stored months, newest first."""
    return [
        {"month": label(s.month), "generated_at": s.generated_at, "total": s.payload["total"]["count"]}
        for s in db.session.scalars(select(MonthlySummary).order_by(MonthlySummary.month.desc()))
    ]


# ------------------------------------------------------------------------------------------ shown


def exact_for(role: str) -> bool:
    """Only the org department sees small cells."""
    return role in ORG_ROLES


def present(summary: MonthlySummary, *, exact: bool) -> dict:
    """The stored summary as shown to one reader; small cells hidden with complements unless ``exact``."""
    body = copy.deepcopy(summary.payload)
    if not exact:
        threshold = current_app.config["SMALL_CELL_THRESHOLD"]
        for dimension in SUPPRESSED_BREAKDOWNS:
            cells = body["breakdowns"][dimension]
            counts = {c["key"]: c["count"] for c in cells}
            shown = suppress_small_cells(counts, threshold=threshold, total=sum(counts.values()))
            for cell in cells:
                cell["count"] = shown[cell["key"]]
    excerpts = copy.deepcopy(summary.excerpts or [])
    if not exact:
        for excerpt in excerpts:
            excerpt.pop("feedback_id", None)
    return {**body, "generated_at": summary.generated_at, "suppressed": not exact, "excerpts": excerpts}
