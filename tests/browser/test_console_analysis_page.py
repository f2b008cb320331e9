"""A leader opens 月度分析 and 观测点台账 in a real browser: one SVG chart per chart, each beside the table
with its numbers, nothing fetched from the internet, and screenshots for a person to look at."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from feedback.models import LedgerEntry, ObservationPoint
from feedback.services.admin.staff_auth import create_user
from tests.browser.conftest import SCREENSHOTS
from tests.conftest import STAFF_TEST_PASSWORD
from tests.support.axe import serious_violations
from tests.support.browser import log_in
from tests.support.monthly import store_september


def fill_ledger(db) -> None:
    """A few September days for the first five points, so the heat map has shades."""
    points = db.session.scalars(select(ObservationPoint).order_by(ObservationPoint.code).limit(5)).all()
    for i, point in enumerate(points):
        for day in (21, 22, 23, 24):
            db.session.add(
                LedgerEntry(
                    point_id=point.id,
                    day=date(2026, 9, day),
                    meetings=i + day % 3,
                    irrelevant_meetings=i % 2,
                    documents=2 * i + 1,
                    inspections=i % 3,
                    forms=i,
                    checkins=(i * day) % 5,
                    source="liaison",
                )
            )
    db.session.commit()


def test_a_leader_sees_each_chart_as_svg_beside_its_table(app, db, seeded, offline_page):
    store_september(app, db)
    fill_ledger(db)
    create_user("leader", STAFF_TEST_PASSWORD, "viewer", display_name="领导甲")
    db.session.commit()
    page, base = offline_page.page, offline_page.base
    log_in(page, base, "leader")
    page.goto(f"{base}/console/analysis?month=2026-09")
    page.get_by_role("heading", name="月度分析", exact=True).wait_for()
    charts = page.locator(".chart[data-chart]")
    drawn = "document.querySelectorAll('.chart[data-chart] svg').length"
    page.wait_for_function(f"{drawn} === document.querySelectorAll('.chart[data-chart]').length")
    count = charts.count()
    assert count >= 6
    for i in range(count):
        chart = charts.nth(i)
        assert chart.locator("svg").count() == 1
        assert chart.get_attribute("aria-label")  # ECharts' aria description
        # The table with the chart's numbers is right there: beside it or just below it.
        section = chart.locator("xpath=ancestor::section[1]")
        assert section.locator("table caption").count() == 1
        box, table = chart.bounding_box(), section.locator("table").bounding_box()
        assert box["width"] > 200 and box["height"] > 200
        assert abs(table["y"] - box["y"]) < 5 or table["y"] >= box["y"] + box["height"] - 1
    # Nothing overflows the page sideways; the point table shows the hidden cells in words.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.locator("#point-table").get_by_text("已隐藏").count() >= 2
    offline_page.screenshot("console-analysis")

    page.goto(f"{base}/console/ledger?month=2026-09&count=meetings")
    page.get_by_role("heading", name="观测点台账", exact=True).wait_for()
    assert page.locator("#heat-month td.heat-5").count() >= 1
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    offline_page.screenshot("console-ledger")
    page.goto(f"{base}/console/ledger/points/GC01?month=2026-09")
    page.get_by_text("调休上班").first.wait_for()
    offline_page.screenshot("console-ledger-point")
    page.goto(f"{base}/console/ledger/bulletin?quarter=2026Q3")
    page.get_by_role("button", name="打印").wait_for()
    offline_page.screenshot("console-ledger-bulletin")
    assert offline_page.outside == []


def test_analysis_ledger_and_liaison_pages_pass_axe(app, db, seeded, browser, live_server):
    store_september(app, db)
    fill_ledger(db)
    create_user("leader-axe", STAFF_TEST_PASSWORD, "viewer")
    create_user("liaison-axe", STAFF_TEST_PASSWORD, "liaison", point_code="GC01")
    db.session.commit()
    # axe is injected by the test, so this context alone lets it past the pages' script-src 'self'.
    context = browser.new_context(locale="zh-CN", bypass_csp=True, viewport={"width": 1366, "height": 900})
    page = context.new_page()
    log_in(page, live_server, "leader-axe")
    for path, heading in [
        ("/console/analysis?month=2026-09", "月度分析"),
        ("/console/ledger?month=2026-09", "观测点台账"),
        ("/console/ledger/points/GC01?month=2026-09", "城关区东关街道 · 2026-09 登记情况"),
        ("/console/ledger/bulletin?quarter=2026Q3", "观测点负担季度通报（2026 年第 3 季度）"),
    ]:
        page.goto(f"{live_server}{path}")
        page.get_by_role("heading", name=heading, exact=True).wait_for()
        assert serious_violations(page) == [], path
    page.get_by_role("button", name="退出登录").click()
    log_in(page, live_server, "liaison-axe")
    for path, heading in [
        ("/console/point/ledger", "城关区东关街道 · 日登记"),
        ("/console/point/submit", "以观测点名义提交反映"),
    ]:
        page.goto(f"{live_server}{path}")
        page.get_by_role("heading", name=heading, exact=True).wait_for()
        assert serious_violations(page) == [], path
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{path.strip('/').replace('/', '-')}.png"), full_page=True)
    context.close()
