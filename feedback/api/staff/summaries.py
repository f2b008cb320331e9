"""Monthly summaries (月度分析): list, read, generate on demand, choose excerpts, download.

Read by the org department and leadership (viewer). Anyone outside the org department gets the
breakdowns by observation point, region and unit level with small cells hidden (DESIGN §5), in
the JSON and in both downloads alike.
"""

from __future__ import annotations

from datetime import date

from feedback.api.staff import blp, current_staff, require_roles
from feedback.api.staff.schemas_summaries import SummaryExcerptsIn, SummaryGenerateIn, SummaryListItemOut, SummaryOut
from feedback.errors import ValidationFailed
from feedback.extensions import db
from feedback.services.reporting import exports, summaries, summaries_views
from feedback.services.reporting.monthly_facts import parse_month
from feedback.workflow import ORG_ROLES, READER_ROLES

MONTH = "/summaries/<string:month>"
XLSX = exports.XLSX_MIMETYPE


def _month(text: str) -> date:
    """A malformed month is a 422 like the ledger's ``month``; 404 means the month has no summary."""
    try:
        return parse_month(text)
    except ValueError:
        raise ValidationFailed(errors={"month": ["月份格式应为 YYYY-MM，如 2026-09"]}) from None


def _shown(month: str) -> dict:
    """The stored summary as the current reader may see it."""
    summary = summaries_views.get(_month(month))
    return summaries_views.present(summary, exact=summaries_views.exact_for(current_staff().role))


def _file_doc(mimetype: str, description: str) -> dict:
    return {
        "responses": {
            "200": {
                "description": description,
                "content": {mimetype: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    }


@blp.route("/summaries", methods=["GET"])
@require_roles(*READER_ROLES)
@blp.response(200, SummaryListItemOut(many=True))
def list_summaries():
    """已发布的月度分析（按月份倒序）。"""
    return summaries_views.index()


@blp.route(MONTH, methods=["GET"])
@require_roles(*READER_ROLES)
@blp.response(200, SummaryOut)
@blp.alt_response(404, description="该月分析尚未生成（summary_not_found）")
def get_summary(month):
    """一个月的标签趋势分析，保持发布时的内容。组织部以外的角色看到的小数已隐藏。"""
    return _shown(month)


@blp.route(f"{MONTH}/generate", methods=["POST"])
@require_roles(*ORG_ROLES)
@blp.arguments(SummaryGenerateIn)
@blp.response(200, SummaryOut)
@blp.alt_response(409, description="该月分析已发布，未选择强制重新生成（summary_published）")
def generate_summary(payload, month):
    """按需生成（重算该月及此前 12 个月中缺少的统计）；只能生成已结束的月份。"""
    summary = summaries.generate(_month(month), force=payload["force"])
    db.session.commit()
    return summaries_views.present(summary, exact=True)


@blp.route(f"{MONTH}/excerpts", methods=["PUT"])
@require_roles(*ORG_ROLES)
@blp.arguments(SummaryExcerptsIn)
@blp.response(200, SummaryOut)
def set_excerpts(payload, month):
    """选择典型反映（最多 5 条，须为该月的反映）；只保存内容摘录、类型和标签。"""
    summary = summaries_views.get(_month(month))
    summaries.set_excerpts(summary, payload["items"])
    db.session.commit()
    return summaries_views.present(summary, exact=True)


@blp.route(f"{MONTH}/export.xlsx", methods=["GET"])
@require_roles(*READER_ROLES)
@blp.doc(**_file_doc(XLSX, "Excel 工作簿：概览、标签趋势、分类统计、新词预警、部门绩效、典型反映"))
def export_xlsx(month):
    """下载 Excel（多个工作表，中文表头）；隐藏规则与接口相同。"""
    return exports.download(_shown(month), "xlsx")


@blp.route(f"{MONTH}/export.csv", methods=["GET"])
@require_roles(*READER_ROLES)
@blp.doc(**_file_doc("text/csv", "标签趋势表，UTF-8（带 BOM，Excel 可直接打开）"))
def export_csv(month):
    """下载标签趋势表 CSV（UTF-8 带 BOM）。"""
    return exports.download(_shown(month), "csv")
