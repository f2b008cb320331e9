"""Observation-point daily ledger: liaisons record their own point's days; the org department and
leadership read one point's days, monthly statistics and the quarterly bulletin.

A liaison never names a point: every liaison endpoint acts on ``current_staff().point_id``.
The figures are not small-cell suppressed: they count burdens on points, not people
(see ``services.reporting.ledger``).
"""

from __future__ import annotations

from feedback.api.staff import blp, current_staff, require_roles
from feedback.api.staff.schemas_ledger import (
    LedgerCorrectionIn,
    LedgerDayIn,
    LedgerEntryOut,
    LedgerMonthIn,
    LedgerMonthlyOut,
    LedgerPointDaysOut,
    LedgerQuarterIn,
    LedgerQuarterlyOut,
    LedgerRangeIn,
)
from feedback.extensions import db
from feedback.services.reporting import ledger, ledger_views
from feedback.workflow import ORG_ROLES, READER_ROLES


@blp.route("/ledger", methods=["GET"])
@require_roles("liaison")
@blp.arguments(LedgerRangeIn, location="query")
@blp.response(200, LedgerPointDaysOut)
def my_ledger(args):
    """本观测点的日登记和缺报日（from、to 为日期，默认最近 31 天）。缺报日：首次登记后、今天之前未登记的工作日。"""
    point = ledger.liaison_point(current_staff())
    return ledger_views.point_days(point, ledger.liaison_range(args.get("start"), args.get("end")))


@blp.route("/ledger/<string(length=10):day>", methods=["PUT"])
@require_roles("liaison")
@blp.arguments(LedgerDayIn)
@blp.response(200, LedgerEntryOut)
def record_day(payload, day):
    """填写或更正本观测点某日的登记（YYYY-MM-DD）。不能登记未来日期；超过 7 天的登记已锁定。"""
    note = payload.pop("note", None)
    entry = ledger.record_day(current_staff(), ledger.parse_day(day), payload, note)
    db.session.commit()
    return ledger_views.describe(entry)


@blp.route("/ledger/points/<string(maxlength=16):code>", methods=["GET"])
@require_roles(*READER_ROLES)
@blp.arguments(LedgerMonthIn, location="query")
@blp.response(200, LedgerPointDaysOut)
def point_month(args, code):
    """某观测点一个月的日登记和缺报日。"""
    period = ledger.month_period(*ledger.parse_month(args["month"]))
    return ledger_views.point_days(ledger_views.point_by_code(code), period)


@blp.route("/ledger/points/<string(maxlength=16):code>/<string(length=10):day>", methods=["PUT"])
@require_roles(*ORG_ROLES)
@blp.arguments(LedgerCorrectionIn)
@blp.response(200, LedgerEntryOut)
def correct_day(payload, code, day):
    """组织部更正（或补登）某观测点某日的登记，已锁定的日期也可以；须写明理由，更正前后的数字记入办理记录。"""
    reason, note = payload.pop("reason"), payload.pop("note", None)
    entry = ledger.correct_day(
        current_staff(), ledger_views.point_by_code(code), ledger.parse_day(day), payload, note, reason.strip()
    )
    db.session.commit()
    return ledger_views.describe(entry)


@blp.route("/ledger/monthly", methods=["GET"])
@require_roles(*READER_ROLES)
@blp.arguments(LedgerMonthIn, location="query")
@blp.response(200, LedgerMonthlyOut)
def monthly(args):
    """月统计：各观测点各项合计、已登记天数、缺报天数，以及总计。按观测点统计负担，不做小数值隐藏。"""
    return ledger_views.monthly(*ledger.parse_month(args["month"]))


@blp.route("/ledger/quarterly", methods=["GET"])
@require_roles(*READER_ROLES)
@blp.arguments(LedgerQuarterIn, location="query")
@blp.response(200, LedgerQuarterlyOut)
def quarterly(args):
    """季度通报：与去年同期比较，列出上升的（观测点、项目）（只减不增），并注明有缺报、不可比的观测点。"""
    return ledger_views.quarterly(*ledger.parse_quarter(args["quarter"]))
