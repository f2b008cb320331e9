"""Admin pages and the 督办/通报 print view in Chromium: create an account, print the 通报 on A4."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path
from unicodedata import normalize

from playwright.sync_api import expect
from sqlalchemy import select

from feedback.models import Department
from feedback.services.admin.staff_auth import create_user
from feedback.services.notices.queue import enqueue
from tests.browser.conftest import SCREENSHOTS
from tests.conftest import STAFF_TEST_PASSWORD
from tests.support.axe import serious_violations
from tests.support.browser import log_in
from tests.support.supervisions import raise_supervisions


def test_admin_creates_a_handler_account_who_then_logs_in(offline_page, browser, db, seeded):
    create_user("it-admin", STAFF_TEST_PASSWORD, "admin", display_name="系统管理员甲")
    db.session.commit()
    page, base = offline_page.page, offline_page.base
    log_in(page, base, "it-admin")
    page.get_by_role("link", name="账号管理").click()
    page.get_by_role("link", name="新建账号").click()
    page.get_by_label("用户名").fill("Bad Name")
    page.get_by_label("显示名称").fill("市委办 张科长")
    page.get_by_label("角色").select_option("handler")
    page.get_by_role("button", name="创建账号").click()
    page.get_by_role("alert").filter(has_text="用户名须为").wait_for()
    assert page.get_by_label("显示名称").input_value() == "市委办 张科长"  # nothing typed is lost
    offline_page.screenshot("console-account-new-errors")
    page.get_by_label("用户名").fill("city-wb-zhang")
    page.get_by_label("所属部门").select_option("city-wb")
    page.get_by_role("button", name="创建账号").click()
    page.get_by_role("heading", name="账号已创建").wait_for()
    password = page.locator("#new-password").inner_text()
    assert re.fullmatch(r"[A-Za-z2-9]{4}(-[A-Za-z2-9]{4}){3}", password)
    offline_page.screenshot("console-account-created")

    page.get_by_role("link", name="返回账号列表").click()
    page.get_by_role("row").filter(has_text="city-wb-zhang").wait_for()
    assert "嵩阳市委办公室" in page.get_by_role("row").filter(has_text="city-wb-zhang").inner_text()
    offline_page.screenshot("console-accounts")

    context = browser.new_context(locale="zh-CN")
    handler = context.new_page()
    log_in(handler, base, "city-wb-zhang", password)
    expect(handler.get_by_text("市委办 张科长").first).to_be_visible()
    context.close()
    assert offline_page.outside == []


def _many_supervisions(app, db) -> int:
    """A 通报 for each of 60 departments (more than one A4 page) and a 督办 for ten of them; returns the 通报 count."""
    codes = list(db.session.scalars(select(Department.code).where(Department.active.is_(True)).limit(60)))
    rows = [(code, "tongbao", date(2026, 10, 19), None) for code in codes]
    rows += [(code, "duban", date(2026, 10, 12), None) for code in codes[:10]]
    raise_supervisions(app, db, rows)
    return len(codes)


def test_the_tongbao_print_view_repeats_its_header_on_every_a4_page(app, offline_page, db, seeded):
    total = _many_supervisions(app, db)
    create_user("zzb-wang", STAFF_TEST_PASSWORD, "triage", display_name="王研判")
    db.session.commit()
    page, base = offline_page.page, offline_page.base
    log_in(page, base, "zzb-wang")
    page.get_by_role("link", name="督办通报").click()
    page.get_by_text(f"共 {total + 10} 条").first.wait_for()
    offline_page.screenshot("console-supervisions")
    page.get_by_label("级别").select_option("tongbao")
    page.get_by_role("button", name="筛选").click()
    page.get_by_text(f"共 {total} 条").first.wait_for()
    page.get_by_role("link", name="打印清单").click()
    page.get_by_role("heading", name="通报清单").wait_for()
    expect(page.get_by_role("button", name="打印")).to_be_visible()
    page.emulate_media(media="print")
    assert page.get_by_role("button", name="打印").is_hidden() and page.locator("header.top").count() == 0
    offline_page.screenshot("console-supervision-print")

    pdf = page.pdf(format="A4", print_background=True)
    from pypdf import PdfReader

    # The CJK font maps some characters to Kangxi radicals in the PDF (⽇ for 日): NFKC folds them back.
    pages = ["".join(normalize("NFKC", p.extract_text()).split()) for p in PdfReader(io.BytesIO(pdf)).pages]
    assert len(pages) >= 2, "the 通报 fits one A4 page: the header repeat is not exercised"
    for text in pages:
        assert "序号级别" in text and "办理期限" in text  # the header row on every page
    assert "通报清单" in pages[0] and normalize("NFKC", "制表日期：2026年10月21日") in pages[0]
    Path(offline_page.screenshot("console-supervision-print")).with_suffix(".pdf").write_bytes(pdf)
    assert offline_page.outside == []


def test_admin_pages_have_no_serious_accessibility_violations(browser, live_server, app, db, seeded):
    raise_supervisions(app, db)
    enqueue(kind="tongbao", dedupe_key="assignment:1:tongbao", subject="【通报】交办单 #1 超期未反馈", body="…")
    dead = enqueue(kind="duban", dedupe_key="assignment:2:duban", subject="【督办】交办单 #2 已超期", body="…")
    dead.status, dead.attempts, dead.last_error = "dead", 6, "邮件服务器拒收：550 mailbox unavailable"
    create_user("it-admin", STAFF_TEST_PASSWORD, "admin")
    db.session.commit()
    context = browser.new_context(locale="zh-CN", bypass_csp=True, viewport={"width": 1366, "height": 900})
    page = context.new_page()
    log_in(page, live_server, "it-admin")
    for path, heading in [
        ("/console/accounts", "账号管理"),
        ("/console/accounts/new", "新建账号"),
        ("/console/outbox", "消息发送"),
        ("/console/reference", "基础数据"),
        ("/console/supervisions", "督办通报"),
        ("/console/supervisions/print?level=tongbao", "通报清单"),
    ]:
        page.goto(f"{live_server}{path}")
        page.get_by_role("heading", name=heading, exact=True).wait_for()
        assert serious_violations(page) == [], path
        if path in ("/console/outbox", "/console/reference"):
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"console-{path.rsplit('/', 1)[1]}.png"), full_page=True)
    context.close()
