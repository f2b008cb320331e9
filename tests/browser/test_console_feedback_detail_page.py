"""Triage opens a feedback in Chromium, sees the evidence, the suggestion and a likely duplicate, and routes it."""

from __future__ import annotations

import io

from playwright.sync_api import expect
from sqlalchemy import select

from feedback.models import Assignment
from feedback.services.admin.staff_auth import create_user
from tests.conftest import STAFF_TEST_PASSWORD
from tests.support.api import MEETING, ok, submit
from tests.support.axe import serious_violations
from tests.support.browser import log_in

MEETING_AGAIN = "秸秆焚烧会议又要求街道书记陪会，我们街道没有庄稼地，这个月已经陪会三次。"


def test_triage_routes_a_feedback_with_the_department_picker(
    seeded, offline_page, browser, client, mp_login, db, jpeg_bytes
):
    headers = mp_login()
    upload = ok(
        client.post(
            "/api/mp/v1/uploads",
            data={"file": (io.BytesIO(jpeg_bytes((320, 200))), "photo.jpg")},
            headers=headers,
            content_type="multipart/form-data",
        ),
        201,
    )["id"]
    _, first = submit(client, headers, MEETING)
    _, fid = submit(client, headers, MEETING_AGAIN, attachments=[upload])
    create_user("zzb-li", STAFF_TEST_PASSWORD, "triage", display_name="李研判")
    db.session.commit()

    page, base = offline_page.page, offline_page.base
    log_in(page, base, "zzb-li", path=f"/console/feedback/{fid}", landing=f"反映 #{fid}")
    assert page.locator(".feedback-text mark").count() >= 1
    expect(page.get_by_role("button", name=f"把本条合并到 #{first}")).to_be_visible()
    image = page.get_by_role("img", name="反映附件 1")
    # streamed by the console: wait for the picture to arrive, then check it is the uploaded one
    loaded = """img => img.complete ? img.naturalWidth : new Promise(done => {
        img.addEventListener('load', () => done(img.naturalWidth));
        img.addEventListener('error', () => done(0));
    })"""
    assert image.evaluate(loaded) == 320
    offline_page.screenshot("console-feedback-detail")

    page.get_by_label("直接交办（主办部门 + 协办部门）").check()
    page.get_by_label("主办部门（输入名称查找）").fill("嵩阳市委办公室")
    page.get_by_label("协办部门 1").fill("嵩阳市统计局")
    page.get_by_label("交办要求（可选）").fill("请核实陪会情况并整改")
    page.get_by_role("button", name="交办", exact=True).click()
    page.get_by_text("已交办，相关部门会收到通知").wait_for()
    assignments = page.locator("#h-assignments + table")
    assert "嵩阳市委办公室" in assignments.inner_text() and "嵩阳市统计局" in assignments.inner_text()
    offline_page.screenshot("console-feedback-detail-routed")
    db.session.expire_all()
    assert len(db.session.scalars(select(Assignment)).all()) == 2
    assert offline_page.outside == []

    # The likely duplicate goes to a 会商 instead: convened from its page, then opened from the list.
    page.get_by_role("link", name=f"#{first}").first.click()
    page.get_by_role("heading", name=f"反映 #{first}").wait_for()
    page.get_by_label("参加部门 1").fill("嵩阳市委办公室")
    page.get_by_label("参加部门 2").fill("嵩阳市农业农村局")
    page.get_by_role("button", name="召集会商").click()
    page.get_by_text("已召集集中会商").wait_for()
    page.get_by_role("link", name="会商", exact=True).click()
    page.get_by_role("link", name=f"反映 #{first} 集中会商").click()
    page.get_by_role("heading", name="记录会商结果").wait_for()
    offline_page.screenshot("console-consultation-detail")

    # The pages, scanned by axe (its own context: axe is injected past the page's CSP).
    cookies = page.context.cookies()
    context = browser.new_context(locale="zh-CN", bypass_csp=True, viewport={"width": 1366, "height": 900})
    context.add_cookies(cookies)
    scan = context.new_page()
    meeting = page.url.removeprefix(base)
    for path in (f"/console/feedback/{fid}", f"/console/feedback/{first}", "/console/consultations", meeting):
        assert scan.goto(f"{base}{path}").status == 200, path
        assert serious_violations(scan) == [], path
    context.close()
