"""Downloads of a monthly summary: an XLSX workbook (several sheets) and a CSV of the tag table.

Both take the summary exactly as :func:`summaries_views.present` shows it to the reader, so a
viewer's download hides the same small cells as the JSON. A hidden cell is written as ``*``.
The CSV is the main tag table only (标签趋势), UTF-8 with a BOM so Excel opens the Chinese
correctly; everything else is in the workbook.

Every text cell is written as text, never as a formula: excerpts and terms come from what cadres
typed, and ``=HYPERLINK(…)`` in a complaint must not become a live link for whoever opens the file.
openpyxl turns any string starting with ``=`` into a formula (and ``#N/A`` into an error), so the
type is forced back to a string after each row is appended. The CSV, which Excel evaluates on
opening, gets a leading apostrophe on text that starts with a formula character (OWASP advice).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import quote

from flask import Response, send_file

from feedback.timeutil import local_date

if TYPE_CHECKING:
    from openpyxl import Workbook

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv"
HIDDEN = "*"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
HIDDEN_NOTE = "* 表示为保护反映人匿名而隐藏的数字（小于 5 的单元格及其补充隐藏单元格）"
BREAKDOWN_TITLES = {"kind": "反映类型", "unit_level": "单位层级", "region": "地区", "point": "观测点"}
TAG_HEADERS = ["标签", "本月", "上月", "环比变化", "环比变化率(%)", "去年同月", "同比变化", "同比变化率(%)"]
DEPARTMENT_HEADERS = [
    "部门",
    "交办数",
    "按时签收",
    "已反馈",
    "按时反馈",
    "超期",
    "平均反馈用时（工作日）",
    "已评价",
    "满意（含基本满意）",
    "满意率(%)",
]


def _cell(value):
    return HIDDEN if value is None else value


def _blank(value):
    return "" if value is None else value


def tag_rows(view: dict) -> tuple[list[str], list[list]]:
    headers = TAG_HEADERS + [f"{m}" for m in view["months"]]
    rows = [
        [
            t["name"],
            t["count"],
            t["previous"],
            t["mom_change"],
            _blank(t["mom_pct"]),
            t["last_year"],
            t["yoy_change"],
            _blank(t["yoy_pct"]),
            *t["series"],
        ]
        for t in view["tags"]
    ]
    return headers, rows


def _overview(view: dict) -> list[list]:
    total = view["total"]
    rows = [
        ["项目", "数值"],
        ["月份", view["month"]],
        ["反映总数", total["count"]],
        ["上月", total["previous"]],
        ["环比变化", total["mom_change"]],
        ["环比变化率(%)", _blank(total["mom_pct"])],
        ["去年同月", total["last_year"]],
        ["同比变化", total["yoy_change"]],
        ["同比变化率(%)", _blank(total["yoy_pct"])],
        ["生成日期", local_date(view["generated_at"]).isoformat()],
        [],
        ["近 12 个月", "反映数"],
        *([m, n] for m, n in zip(view["months"], total["series"], strict=True)),
        [],
        ["上升最多的标签", "环比增加"],
        *([t["name"], t["mom_change"]] for t in view["rising"]),
        [],
        ["下降最多的标签", "环比减少"],
        *([t["name"], -t["mom_change"]] for t in view["falling"]),
    ]
    if view["suppressed"]:
        rows += [[], [HIDDEN_NOTE]]
    return rows


def _breakdowns(view: dict) -> list[list]:
    rows = [["维度", "类别", "反映数"]]
    for dimension, title in BREAKDOWN_TITLES.items():
        rows += [[title, c["label"], _cell(c["count"])] for c in view["breakdowns"][dimension]]
    if view["suppressed"]:
        rows += [[], [HIDDEN_NOTE]]
    return rows


def _terms(view: dict) -> list[list]:
    return [
        ["词语", "本月反映数", "前三月反映数（逐月）", "前三月平均", "增长"],
        *(
            [t["term"], t["count"], "、".join(map(str, t["previous"])), t["baseline"], t["growth"]]
            for t in view["emerging_terms"]
        ),
    ]


def _departments(view: dict) -> list[list]:
    return [
        DEPARTMENT_HEADERS,
        *(
            [
                d["department_name"],
                d["assigned"],
                d["acknowledged_on_time"],
                d["responded"],
                d["responded_on_time"],
                d["overdue"],
                _blank(d["avg_response_days"]),
                d["rated"],
                d["satisfied"],
                _blank(d["satisfaction_pct"]),
            ]
            for d in view["departments"]
        ),
    ]


def _excerpts(view: dict) -> list[list]:
    return [
        ["序号", "类型", "标签", "反映内容（摘录）", "说明"],
        *(
            [i, e["kind_label"], "、".join(e["tags"]), e["text"], e.get("note") or ""]
            for i, e in enumerate(view["excerpts"], start=1)
        ),
    ]


def _sheet(book: Workbook, title: str, rows: Iterable[list], widths: dict[str, int]) -> None:
    from openpyxl.styles import Font

    sheet = book.create_sheet(title)
    for row in rows:
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column, width in widths.items():
        sheet.column_dimensions[column].width = width


def to_xlsx(view: dict) -> bytes:
    from openpyxl import Workbook  # 30 MB with numpy: loaded by the first download, not by every worker

    book = Workbook()
    book.remove(book.active)
    headers, rows = tag_rows(view)
    _sheet(book, "概览", _overview(view), {"A": 22, "B": 14})
    _sheet(book, "标签趋势", [headers, *rows], {"A": 14})
    _sheet(book, "分类统计", _breakdowns(view), {"A": 12, "B": 30})
    _sheet(book, "新词预警", _terms(view), {"A": 16, "C": 20})
    _sheet(book, "部门绩效", _departments(view), {"A": 30})
    _sheet(book, "典型反映", _excerpts(view), {"C": 20, "D": 80, "E": 30})
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _csv_text(value):
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_csv(view: dict) -> bytes:
    headers, rows = tag_rows(view)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows([_csv_text(v) for v in row] for row in rows)
    return out.getvalue().encode("utf-8-sig")


def download(view: dict, extension: str) -> Response:
    """The summary as a file to save (``xlsx`` or ``csv``), for the API and the console alike.

    Chinese file name for browsers that read ``filename*``, a readable ASCII one for the rest.
    """
    data, mimetype = (to_xlsx(view), XLSX_MIMETYPE) if extension == "xlsx" else (to_csv(view), CSV_MIMETYPE)
    month = view["month"]
    response = send_file(io.BytesIO(data), mimetype=mimetype, max_age=0)
    chinese = quote(f"月度分析-{month}.{extension}")
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"summary-{month}.{extension}\"; filename*=UTF-8''{chinese}"
    )
    return response
