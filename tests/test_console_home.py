"""工作台: the org department's queues and deadline board, a handler's and a liaison's cards.

Every number on the page must be the total of the list it opens: the board is checked against the
staff API's assignment list (the list the console's 交办单 page shows) and the inbox.
"""

from __future__ import annotations

import re

import pytest

from feedback.services.admin.staff_auth import find_user
from feedback.services.notices import deadline_watch
from feedback.services.reporting import ledger
from tests.support.api import STAFF, WEDNESDAY_0930, frozen, ok
from tests.support.console import console_client
from tests.support.worktable import busy_week


@pytest.fixture
def busy(app, db, seeded):
    return busy_week(app, db)


def counts_of(html: str) -> dict[str, tuple[int, str | None]]:
    """The queue counts: {label: (number, link or None)}."""
    found = {}
    for item in re.findall(r'<li class="count[^"]*">(.*?)</li>', html, re.S):
        link = re.search(r'href="([^"]+)"', item)
        number = int(re.search(r'class="n">(\d+)<', item).group(1))
        label = re.search(r'class="label">([^<]+)<', item).group(1)
        found[label] = (number, link.group(1).replace("&amp;", "&") if link else None)
    return found


def board_row(html: str, name: str) -> list[str]:
    row = re.search(rf'<th scope="row">{name}</th>(.*?)</tr>', html, re.S).group(1)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


def api_total(client, headers, **args) -> int:
    return ok(client.get(f"{STAFF}/assignments", query_string=args, headers=headers))["total"]


def test_org_queues_and_board_match_the_lists_behind_them(app, db, busy, client, staff_login):
    triage = console_client(app, db, "triage")
    html = triage.get("/console/").get_data(as_text=True)
    counts = counts_of(html)
    assert counts["待研判"] == (2, "/console/inbox?status=submitted")  # the bounced item and a new one
    assert counts["待补充"] == (1, "/console/inbox?status=needs_info")
    assert counts["会商中"] == (1, "/console/inbox?status=in_consultation")
    assert counts["待审批延期"][0] == 1 and counts["待核验整改"][0] == 1 and counts["超期交办单"][0] == 1
    for label in ("待研判", "待补充", "会商中"):
        number, link = counts[label]
        assert f"共 {number} 条" in triage.get(link).get_data(as_text=True)
    assert "我的账号" in html  # the account card stays

    headers = staff_login("viewer")
    wb = board_row(html, "嵩阳市委办公室")
    assert wb[:8] == ["3", "1", "1", "1", "1", "0", "0", "1"] and wb[8] == "—"
    for column, args in enumerate(
        [{"status": "pending"}, {"state": "on_time"}, {"state": "due_soon"}, {"state": "overdue"}]
    ):
        assert int(wb[column]) == api_total(client, headers, department="city-wb", **args)
    fb = board_row(html, "嵩阳市人民政府办公室")
    assert fb[6] == "2" and "多次退回" in fb[8] and "1 件已被退回两次及以上" in fb[8]
    assert html.index("嵩阳市委办公室") < html.index("嵩阳市人民政府办公室")  # the overdue department first
    assert "个部门暂无交办单，未列出" in html
    assert counts["超期交办单"][0] == api_total(client, headers, state="overdue")


def test_each_number_opens_the_list_it_counts(app, db, busy):
    triage = console_client(app, db, "triage")
    html = triage.get("/console/").get_data(as_text=True)
    for label, (number, link) in counts_of(html).items():
        assert link, label
        assert f"共 {number} 条" in triage.get(link).get_data(as_text=True), label
    row = re.search(r'<th scope="row">嵩阳市委办公室</th>(.*?)</tr>', html, re.S).group(1)
    links = re.findall(r'<a href="([^"]+)">(\d+)</a>', row)
    # 待签收, 正常, 临期, 超期 open the assignment list; 督办 opens the 督办通报 list of the department
    assert len(links) == 5 and any("/console/supervisions?level=duban" in link for link, _ in links)
    for link, number in links:
        listed = triage.get(link.replace("&amp;", "&")).get_data(as_text=True)
        assert "department=city-wb" in link and f"共 {number} 条" in listed, link


def test_viewer_reads_the_same_page_without_actions(app, db, busy):
    viewer = console_client(app, db, "viewer")
    html = viewer.get("/console/").get_data(as_text=True)
    assert counts_of(html)["待研判"][0] == 2 and "各部门办理期限" in html
    main = html[html.index('<main id="main">') :]
    assert "<button" not in main and "<form" not in main and "<input" not in main


def test_handler_sees_their_own_department_only(app, db, busy):
    handler = console_client(app, db, "handler", department_code="city-wb")
    html = handler.get("/console/").get_data(as_text=True)
    counts = counts_of(html)
    assert {k: v[0] for k, v in counts.items()} == {"待签收": 3, "临期": 1, "超期": 1}
    assert "各部门办理期限" not in html and "待研判" not in html and "人民政府办公室" not in html
    quiet = console_client(app, db, "handler", department_code="city-yjgl")
    html = quiet.get("/console/").get_data(as_text=True)
    assert "本部门暂无待签收、临期或超期的交办单" in html


def test_liaison_sees_todays_ledger(app, db, seeded):
    frozen(app, WEDNESDAY_0930)
    liaison = console_client(app, db, "liaison", point_code="GC01")
    html = liaison.get("/console/").get_data(as_text=True)
    assert "观测点日登记" in html and "城关区东关街道" in html and "尚未登记" in html and "2026-09-22" in html
    counts = dict.fromkeys(("meetings", "irrelevant_meetings", "documents", "inspections", "forms", "checkins"), 0)
    ledger.record_day(find_user(liaison.username), ledger.today(), counts, None)
    db.session.commit()
    html = liaison.get("/console/").get_data(as_text=True)
    assert "已登记" in html and "没有漏登" in html


def test_the_staff_api_answers_the_same_numbers(app, db, busy, client, staff_login):
    html = console_client(app, db, "viewer").get("/console/").get_data(as_text=True)
    body = ok(client.get(f"{STAFF}/dashboard", headers=staff_login("viewer")))
    assert body["queues"] == {
        "submitted": 2,
        "needs_info": 1,
        "in_consultation": 1,
        "extensions": 1,
        "verifications": 1,
        "overdue": 1,
    }
    wb = next(r for r in body["board"] if r["department"]["code"] == "city-wb")
    columns = ("pending", "on_time", "due_soon", "overdue", "duban", "tongbao", "returned", "extensions")
    assert [str(wb[c]) for c in columns] == board_row(html, "嵩阳市委办公室")[:8]
    fb = next(r for r in body["board"] if r["department"]["code"] == "city-fb")
    assert fb["flagged"] and fb["returned_twice"] == 1 and body["totals"]["returned"] == 2
    handler = staff_login("handler", department_code="city-wb")
    assert client.get(f"{STAFF}/dashboard", headers=handler).status_code == 403


def test_a_department_still_late_after_a_week_shows_under_tongbao(app, db, busy, client, staff_login):
    clock = app.extensions["clock"]
    clock.advance(days=14)
    assert deadline_watch.list_for_tongbao(clock.now()) >= 1
    db.session.commit()
    html = console_client(app, db, "triage").get("/console/").get_data(as_text=True)
    wb = board_row(html, "嵩阳市委办公室")
    assert wb[4:6] == ["1", "1"]  # 督办 and 通报 of the same overdue assignment, both open
    assert html.index("嵩阳市委办公室") < html.index("嵩阳市人民政府办公室")
