"""月度分析 (triage, admin, viewer): the STORED monthly summary as charts, each with the same numbers
in a table, and its downloads.

The page shows exactly what ``summaries_views.present`` gives the reader (small cells hidden for
anyone outside the org department); the charts read that same data from a JSON data block, so a
chart and its table can never disagree. Nothing is recomputed here.
"""

from __future__ import annotations

from datetime import date

from flask import g, render_template, request, url_for

from feedback.console import bp
from feedback.console.pages import act
from feedback.errors import Forbidden, ValidationFailed
from feedback.services.reporting import exports, summaries, summaries_views
from feedback.services.reporting.exports import BREAKDOWN_TITLES
from feedback.services.reporting.monthly_facts import current_month, label, parse_month, shift
from feedback.timeutil import CHINA
from feedback.workflow import ORG_ROLES, READER_ROLES

# The parts of the shown summary the charts draw (the page's JSON data block).
CHART_PARTS = ("month", "months", "total", "tags", "breakdowns", "departments", "emerging_terms", "suppressed")
EXTENSIONS = ("xlsx", "csv")


def _reader() -> None:
    if g.staff.role not in READER_ROLES:
        raise Forbidden("只有组织部和领导可以查看月度分析")


def _month(text: str) -> date:
    try:
        return parse_month(text)
    except ValueError:
        raise ValidationFailed(errors={"month": ["月份格式应为 YYYY-MM，如 2026-09"]}) from None


def _shown(month: date) -> dict:
    """The stored summary of ``month`` as this reader may see it (404 page when none is stored)."""
    return summaries_views.present(summaries_views.get(month), exact=summaries_views.exact_for(g.staff.role))


@bp.route("/analysis")
def analysis():
    _reader()
    stored = summaries_views.index()
    text = request.args.get("month", "").strip()
    problem = None
    month = None
    if text:
        try:
            month = parse_month(text)
        except ValueError:
            problem = "月份格式应为 YYYY-MM，如 2026-09"
    if month is None:
        month = parse_month(stored[0]["month"]) if stored else shift(current_month(), -1)
    summary = summaries_views.find(month)
    view = summaries_views.present(summary, exact=summaries_views.exact_for(g.staff.role)) if summary else None
    return render_template(
        "console/analysis.html",
        month=label(month),
        stored=stored,
        problem=problem,
        view=view,
        charts={part: view[part] for part in CHART_PARTS} if view else None,
        breakdown_titles=BREAKDOWN_TITLES,
        generated=view["generated_at"].astimezone(CHINA).strftime("%Y-%m-%d %H:%M") if view else None,
        can_generate=g.staff.role in ORG_ROLES,
        last_month=label(shift(current_month(), -1)),
    )


@bp.route("/analysis/<string:month>/export.<string:extension>")
def analysis_download(month: str, extension: str):
    """XLSX or CSV of the summary, with the same hidden cells as the page and the API."""
    _reader()
    if extension not in EXTENSIONS:
        raise ValidationFailed("只能下载 xlsx 或 csv 文件")
    return exports.download(_shown(_month(month)), extension)


@bp.route("/analysis/generate", methods=["POST"])
def analysis_generate():
    """Triage and admin store (or, with 强制重新生成, replace) an ended month's summary."""
    if g.staff.role not in ORG_ROLES:
        raise Forbidden("只有组织部可以生成月度分析")
    text = request.form.get("month", "").strip()
    force = request.form.get("force") == "1"
    back = url_for("console.analysis", month=text) if text else url_for("console.analysis")
    return act(lambda: summaries.generate(_month(text), force=force), f"已生成 {text} 的月度分析", back)
