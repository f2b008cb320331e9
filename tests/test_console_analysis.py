"""月度分析 in the console: the stored summary as charts and tables with the API's numbers, small cells
hidden for leaders exactly as the API hides them, the downloads, and generating a missing month."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from feedback.services.reporting import summaries
from tests.support.api import STAFF, ok
from tests.support.console import console_client
from tests.support.monthly import store_september
from tests.support.tables import data_block, tables


@pytest.fixture
def september(app, db, seeded):
    """A stored September 2026: 7 at GC01 and 1 each at GC02 and GC03, so a leader's point cells hide."""
    store_september(app, db)


def api_summary(client, staff_login, role):
    return ok(client.get(f"{STAFF}/summaries/2026-09", headers=staff_login(role)))


@pytest.mark.parametrize("role", ["triage", "viewer"])
def test_charts_and_tables_carry_the_api_numbers(app, db, client, staff_login, september, role):
    api = api_summary(client, staff_login, role)
    page = console_client(app, db, role).get("/console/analysis?month=2026-09")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    charts = data_block(html, "analysis-data")
    for part in ("month", "months", "total", "tags", "breakdowns", "departments", "emerging_terms", "suppressed"):
        assert charts[part] == api[part], part
    # One chart container per chart, each with the table that carries its numbers.
    assert html.count('class="chart') == 2 + 4 + (1 if api["departments"] else 0) + (1 if api["emerging_terms"] else 0)
    assert 'src="/static/vendor/echarts/echarts.min.js"' in html and 'src="/static/console/analysis.js"' in html
    shown = tables(html)
    trend = {row[0]: row[1:] for row in shown["trend-table"][1:]}
    for tag in api["tags"]:
        assert trend[tag["name"]] == [str(v) for v in tag["series"]]
    assert trend["全部反映"] == [str(v) for v in api["total"]["series"]]
    share = {row[0]: row[1] for row in shown["share-table"][1:]}
    assert share == {t["name"]: str(t["count"]) for t in api["tags"]}
    for dimension in ("kind", "unit_level", "region", "point"):
        rows = {row[0]: row[1] for row in shown[f"{dimension}-table"][1:]}
        cells = api["breakdowns"][dimension]
        expected = {c["label"]: "已隐藏" if c["count"] is None else str(c["count"]) for c in cells}
        assert rows == expected, dimension
    assert shown["trend-table"][0][0] == "标签" and '<th scope="col"' in html and "<caption" in html


def test_a_leader_sees_small_cells_hidden_like_the_api_and_triage_sees_them(app, db, client, staff_login, september):
    viewer = api_summary(client, staff_login, "viewer")
    points = {c["key"]: c["count"] for c in viewer["breakdowns"]["point"]}
    assert points["GC02"] is None and points["GC03"] is None and points["GC01"] == 7  # 1 and 1: hidden
    leader = console_client(app, db, "viewer").get("/console/analysis?month=2026-09").get_data(as_text=True)
    rows = {row[0]: row[1] for row in tables(leader)["point-table"][1:]}
    assert rows["城关区东关街道朝阳社区"] == "已隐藏" and rows["城关区东关街道"] == "7"
    assert "小于 5 的数字及其补充格子显示为“已隐藏”" in leader
    assert "生成月度分析" not in leader and "重新生成" not in leader  # read-only
    org = console_client(app, db, "triage").get("/console/analysis?month=2026-09").get_data(as_text=True)
    rows = {row[0]: row[1] for row in tables(org)["point-table"][1:]}
    assert rows["城关区东关街道朝阳社区"] == "1" and "已隐藏" not in org


def test_downloads_need_a_login_and_hide_the_same_cells(app, db, client, staff_login, september):
    assert client.get("/console/analysis/2026-09/export.xlsx").status_code == 302
    assert "/console/login" in client.get("/console/analysis/2026-09/export.csv").headers["Location"]
    leader = console_client(app, db, "viewer")
    html = leader.get("/console/analysis?month=2026-09").get_data(as_text=True)
    for extension in ("xlsx", "csv"):
        assert f'href="/console/analysis/2026-09/export.{extension}"' in html
    xlsx = leader.get("/console/analysis/2026-09/export.xlsx")
    assert xlsx.status_code == 200 and xlsx.mimetype.endswith("spreadsheetml.sheet")
    assert "summary-2026-09.xlsx" in xlsx.headers["Content-Disposition"]
    api_xlsx = client.get(f"{STAFF}/summaries/2026-09/export.xlsx", headers=staff_login("viewer"))
    book, api_book = load_workbook(io.BytesIO(xlsx.data)), load_workbook(io.BytesIO(api_xlsx.data))
    sheet = [list(r) for r in book["分类统计"].iter_rows(values_only=True)]
    assert sheet == [list(r) for r in api_book["分类统计"].iter_rows(values_only=True)]
    assert ["观测点", "城关区东关街道朝阳社区", "*"] in sheet
    reply = leader.get("/console/analysis/2026-09/export.csv")
    assert reply.status_code == 200 and reply.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(reply.data.decode("utf-8-sig"))))
    assert rows[0][:2] == ["标签", "本月"] and len(rows) == 1 + len(api_summary(client, staff_login, "viewer")["tags"])
    assert leader.get("/console/analysis/2026-09/export.pdf").status_code == 422


def test_a_month_without_a_summary_says_so_and_triage_can_generate_it(app, db, client, september):
    leader = console_client(app, db, "viewer")
    html = leader.get("/console/analysis?month=2026-08").get_data(as_text=True)
    assert "2026-08 的月度分析尚未生成" in html and "analysis-data" not in html and "run-once" not in html
    assert leader.get("/console/analysis/2026-08/export.csv").status_code == 404
    refused = leader.post("/console/analysis/generate", data={"month": "2026-08", "csrf_token": leader.csrf})
    assert refused.status_code == 403
    triage = console_client(app, db, "triage")
    html = triage.get("/console/analysis?month=2026-08").get_data(as_text=True)
    assert "flask --app feedback jobs run-once monthly-summary --param month=2026-08" in html
    assert "POST /api/staff/v1/summaries/2026-08/generate" in html
    # Without the earlier months' facts (the job builds them) the page says what is missing.
    missing = triage.post("/console/analysis/generate", data={"month": "2026-08", "csrf_token": triage.csrf})
    assert "以下月份尚未统计：2025-08" in triage.get(missing.headers["Location"]).get_data(as_text=True)
    summaries.prepare(date(2026, 8, 1))
    db.session.commit()
    done = triage.post("/console/analysis/generate", data={"month": "2026-08", "csrf_token": triage.csrf})
    assert done.status_code == 302 and done.headers["Location"].endswith("/console/analysis?month=2026-08")
    html = triage.get(done.headers["Location"]).get_data(as_text=True)
    assert "已生成 2026-08 的月度分析" in html and data_block(html, "analysis-data")["month"] == "2026-08"
    again = triage.post("/console/analysis/generate", data={"month": "2026-08", "csrf_token": triage.csrf})
    assert "已发布" in triage.get(again.headers["Location"]).get_data(as_text=True)  # refused, said in Chinese
    running = triage.post("/console/analysis/generate", data={"month": "2026-10", "csrf_token": triage.csrf})
    assert "该月尚未结束" in triage.get(running.headers["Location"]).get_data(as_text=True)
    # Without a month in the URL the newest stored summary is shown; a malformed one is explained.
    assert data_block(triage.get("/console/analysis").get_data(as_text=True), "analysis-data")["month"] == "2026-09"
    assert "月份格式应为 YYYY-MM" in triage.get("/console/analysis?month=9月").get_data(as_text=True)


@pytest.mark.parametrize("role", ["handler", "liaison"])
def test_other_roles_are_refused(app, db, seeded, september, role):
    extra = {"department_code": "city-wb"} if role == "handler" else {"point_code": "GC01"}
    staff = console_client(app, db, role, **extra)
    for path in ("/console/analysis", "/console/analysis/2026-09/export.xlsx"):
        reply = staff.get(path)
        assert reply.status_code == 403 and "只有组织部和领导可以查看月度分析" in reply.get_data(as_text=True)
    assert 'href="/console/analysis"' not in staff.get("/console/").get_data(as_text=True)
