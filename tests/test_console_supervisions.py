"""督办通报: the org department and leaders list 督办 and 通报 items, filter them and print the 通报 on A4."""

from __future__ import annotations

import re

import pytest

from tests.support.console import console_client
from tests.support.supervisions import raise_supervisions


@pytest.fixture
def overdue(app, db, seeded):
    """city-wb 督办 and 通报, city-tj 督办, city-fgw 督办 resolved; due 2026-09-30, today 10-21."""
    return raise_supervisions(app, db)


def test_the_list_filters_by_level_department_and_state(app, db, overdue):
    triage = console_client(app, db, "triage")
    page = triage.get("/console/supervisions")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<h1>督办通报</h1>" in html and "共 3 条" in html
    assert "嵩阳市委办公室" in html and "嵩阳市统计局" in html
    assert (
        html.count('<span class="tag bad">通报</span>') == 1 and html.count('<span class="tag warn">督办</span>') == 2
    )
    assert "2026-09-30" in html and "11 个工作日" in html and "未解除" in html
    assert f"交办单 #{overdue['city-wb']}" in html and f"交办单 #{overdue['city-fgw']}" not in html

    tongbao = triage.get("/console/supervisions?level=tongbao").get_data(as_text=True)
    assert "共 1 条" in tongbao and '<option value="tongbao" selected>' in tongbao
    wb = triage.get("/console/supervisions?department=city-wb").get_data(as_text=True)
    assert "共 2 条" in wb and f"交办单 #{overdue['city-tj']}" not in wb
    everything = triage.get("/console/supervisions?state=all").get_data(as_text=True)
    assert "共 4 条" in everything and "2026-10-14" in everything
    paged = triage.get("/console/supervisions?per_page=20&page=1&level=duban").get_data(as_text=True)
    assert "共 2 条" in paged and 'href="/console/supervisions/print?level=duban"' in paged


def test_viewers_read_it_and_departments_are_refused(app, db, overdue):
    viewer = console_client(app, db, "viewer")
    assert viewer.get("/console/supervisions").status_code == 200
    assert 'href="/console/supervisions"' in viewer.get("/console/").get_data(as_text=True)
    for role, extra in (("handler", {"department_code": "city-wb"}), ("liaison", {"point_code": "GC01"})):
        staff = console_client(app, db, role, **extra)
        page = staff.get("/console/supervisions")
        assert page.status_code == 403 and "督办通报清单只对组织部和领导开放" in page.get_data(as_text=True)
        assert staff.get("/console/supervisions/print?level=tongbao").status_code == 403


def test_the_print_view_lists_the_items_under_one_repeated_header_without_navigation(app, db, overdue):
    triage = console_client(app, db, "admin")
    for query in ("level=tongbao", "kind=通报"):
        page = triage.get(f"/console/supervisions/print?{query}")
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert "<h1>通报清单</h1>" in html and "制表日期：2026年10月21日" in html and "共 1 条" in html
        assert "范围：未解除的，全部部门" in html
        assert 'aria-label="主导航"' not in html and "退出登录" not in html and "console.css" not in html
        assert "print.css" in html and "<script>" not in html
    html = triage.get("/console/supervisions/print?level=duban&state=all").get_data(as_text=True)
    assert "<h1>督办清单</h1>" in html and "共 3 条" in html and "全部（含已解除的）" in html
    # One header row in a <thead> ahead of every item row in the <tbody>: the browser repeats it per page.
    table = re.search(r"<table>(.*)</table>", html, re.S).group(1)
    assert table.count("<thead>") == 1 and table.index("</thead>") < table.index("<tbody>")
    header = re.search(r"<thead>(.*)</thead>", table, re.S).group(1)
    assert [*re.findall(r'<th scope="col"[^>]*>([^<]+)</th>', header)][:4] == ["序号", "级别", "责任部门", "交办单"]
    body = re.search(r"<tbody>(.*)</tbody>", table, re.S).group(1)
    assert body.count("<tr>") == 3 and "嵩阳市委办公室" in body and "2026-10-14" in body
    with app.test_client().get("/static/console/print.css") as reply:
        css = reply.get_data(as_text=True)
    assert "size: A4" in css and re.search(r"thead\s*{\s*display:\s*table-header-group", css)


def test_the_home_boards_supervision_numbers_open_this_list_with_the_same_count(app, db, overdue):
    triage = console_client(app, db, "triage")
    home = triage.get("/console/").get_data(as_text=True)
    links = re.findall(r'href="(/console/supervisions\?[^"]+)"[^>]*>\s*(\d+)\s*<', home)
    assert links, "the 工作台 board links its 督办/通报 numbers to this page"
    for href, number in links:
        listing = triage.get(href.replace("&amp;", "&")).get_data(as_text=True)
        assert f"共 {number} 条" in listing, href
