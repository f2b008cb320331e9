"""收件箱 in the console: the staff API's filters kept in the URL, paging with 共 N 条, bulk decisions.

Feedback is submitted the way cadres submit it (the mini-program API); bulk decisions are checked by
what triage and the reporter would see afterwards, and a refused batch changes nothing at all.
"""

from __future__ import annotations

import re

import pytest

from feedback.models import Event, Feedback
from feedback.services.intake.reporter import feedback_by_receipt
from feedback.services.intake.submit import submit_feedback
from tests.support.api import FORMS, MEETING, route, submit
from tests.support.console import console_client

POINT_TEXT = "观测点所在社区每周要向五个部门分别报送同一份台账，干部疲于应付。"


@pytest.fixture
def items(seeded, client, mp_login, db):
    """Three cadre submissions: a meeting complaint (routed), a forms complaint, a point's suggestion."""
    headers = mp_login()
    _, meeting = submit(client, headers, MEETING)
    _, forms = submit(client, headers, FORMS)
    _, point = submit(client, headers, POINT_TEXT, kind="suggestion", point_code="GC01")
    route(db, meeting, "city-wb")
    return {"meeting": meeting, "forms": forms, "point": point}


def ids_on(html: str) -> set[int]:
    """The feedback numbers listed in the table."""
    return {int(n) for n in re.findall(r'<th scope="row">(?:<a href="[^"]*">)?#(\d+)', html)}


def page(client, url: str) -> str:
    reply = client.get(url)
    assert reply.status_code == 200, reply.get_data(as_text=True)[:500]
    return reply.get_data(as_text=True)


def test_every_filter_of_the_api_works_from_the_url(app, db, items):
    triage = console_client(app, db, "triage")
    html = page(triage, "/console/inbox")
    assert ids_on(html) == set(items.values()) and "共 3 条" in html
    assert "问题线索" in html and "意见建议" in html and "待研判" in html and "已交办" in html
    assert "观测点：" in html  # the point's submission says where it came from

    assert ids_on(page(triage, "/console/inbox?q=陪会")) == {items["meeting"]}
    assert ids_on(page(triage, "/console/inbox?q=报表+填报")) == {items["forms"]}
    assert ids_on(page(triage, "/console/inbox?status=assigned")) == {items["meeting"]}
    assert ids_on(page(triage, "/console/inbox?status=submitted")) == {items["forms"], items["point"]}
    assert ids_on(page(triage, "/console/inbox?kind=suggestion")) == {items["point"]}
    assert ids_on(page(triage, "/console/inbox?point=GC01")) == {items["point"]}
    assert ids_on(page(triage, "/console/inbox?tag=peihui")) == {items["meeting"]}
    assert ids_on(page(triage, "/console/inbox?overdue=false")) == set(items.values())
    assert ids_on(page(triage, "/console/inbox?overdue=true")) == set()
    region = db.session.get(Feedback, items["point"]).region_code
    assert items["point"] in ids_on(page(triage, f"/console/inbox?region={region[:4]}"))
    oldest = page(triage, "/console/inbox?order=oldest")
    assert oldest.index(f"#{items['meeting']}<") < oldest.index(f"#{items['point']}<")

    # the form shows what is chosen, so a bookmarked view reads as it was saved
    html = page(triage, "/console/inbox?status=submitted&kind=problem&q=报表")
    assert ids_on(html) == {items["forms"]} and "共 1 条" in html
    assert '<option value="submitted" selected>' in html and '<option value="problem" selected>' in html
    assert 'value="报表"' in html and 'href="/console/inbox">清除筛选</a>' in html

    html = page(triage, "/console/inbox?q=没有这样的词语组合")
    assert "没有符合筛选条件的反映" in html and "共 0 条" in html

    html = page(triage, "/console/inbox?status=bogus&region=abc")
    assert "筛选条件“状态”的值无效，已忽略" in html and "区划代码" in html and ids_on(html) == set(items.values())


def test_paging_says_how_many_and_keeps_the_filters(app, db, seeded):
    for n in range(23):
        submit_feedback(f"p{n}", {"kind": "problem", "content": f"第{n}号：每月重复填报报表，表格越来越多。"})
    submit_feedback("other", {"kind": "suggestion", "content": "建议减少陪会。"})
    db.session.commit()
    viewer = console_client(app, db, "viewer")
    first = page(viewer, "/console/inbox?kind=problem")
    assert "共 23 条，第 1 / 2 页" in first and len(ids_on(first)) == 20
    next_link = re.search(r'<a href="([^"]+)" rel="next">下一页</a>', first).group(1).replace("&amp;", "&")
    assert "kind=problem" in next_link and "page=2" in next_link and "after=" in next_link  # keyset
    second = page(viewer, next_link)
    assert "第 2 / 2 页" in second and len(ids_on(second)) == 3 and not ids_on(first) & ids_on(second)
    assert "共 24 条" in page(viewer, "/console/inbox?per_page=50")
    assert "这一页没有反映了" in page(viewer, "/console/inbox?page=9")


def test_viewer_reads_without_bulk_controls_and_cannot_post(app, db, items):
    viewer = console_client(app, db, "viewer")
    html = page(viewer, "/console/inbox")
    assert ids_on(html) == set(items.values())
    assert 'name="ids"' not in html and "批量处理" not in html and "/console/inbox/bulk" not in html
    reply = viewer.post(
        "/console/inbox/bulk",
        data={"csrf_token": viewer.csrf, "action": "reject", "ids": [items["forms"]], "reason": "不属于减负范围"},
    )
    assert reply.status_code == 403 and "只有组织部研判人员可以批量处理反映" in reply.get_data(as_text=True)
    assert db.session.get(Feedback, items["forms"]).status == "submitted"


def test_handler_gets_a_refusal_page(app, db, items):
    handler = console_client(app, db, "handler", department_code="city-wb")
    reply = handler.get("/console/inbox")
    assert reply.status_code == 403 and "收件箱只供组织部和领导查阅" in reply.get_data(as_text=True)
    assert 'href="/console/inbox"' not in page(handler, "/console/")  # not in the handler's menu


def bulk(client, **data):
    return client.post("/console/inbox/bulk", data={"csrf_token": client.csrf, **data}, follow_redirects=True)


def tags_of(db, feedback_id: int) -> set[str]:
    db.session.expire_all()
    return {t.tag.code for t in db.session.get(Feedback, feedback_id).tags}


def test_bulk_retag_changes_every_selected_item(app, db, items):
    triage = console_client(app, db, "triage")
    back = "/console/inbox?status=submitted"
    html = page(triage, back)
    assert 'name="ids"' in html and "修改标签" in html and '<label for="pick-' in html
    chosen = [items["forms"], items["point"]]
    reply = bulk(triage, action="retag", ids=chosen, tags=["tianbao", "liuhen"], retag_note="统一口径", back=back)
    html = reply.get_data(as_text=True)
    assert "已修改 2 条反映的标签" in html and "共 2 条" in html  # back on the same filtered view
    assert all(tags_of(db, i) == {"tianbao", "liuhen"} for i in chosen)
    assert ids_on(page(triage, "/console/inbox?tag=liuhen")) == set(chosen)


def test_bulk_merge_keeps_the_chosen_target(app, db, items):
    triage = console_client(app, db, "triage")
    body, _ = submit_feedback("twin", {"kind": "problem", "content": FORMS})
    db.session.commit()
    twin_id = feedback_by_receipt(body["receipt"]).id
    reply = bulk(triage, action="merge", ids=[items["forms"], twin_id], target_id=items["forms"])
    assert f"已将 1 条反映合并到 #{items['forms']}" in reply.get_data(as_text=True)
    db.session.expire_all()
    merged = db.session.get(Feedback, twin_id)
    assert merged.status == "merged" and merged.merged_into_id == items["forms"]
    assert db.session.get(Feedback, items["forms"]).status == "submitted"
    assert ids_on(page(triage, "/console/inbox?status=merged")) == {twin_id}

    html = bulk(triage, action="merge", ids=[items["point"]], target_id=items["forms"]).get_data(as_text=True)
    assert "合并后保留的反映须是勾选的反映之一" in html
    assert db.session.get(Feedback, items["point"]).status == "submitted"


def test_bulk_reject_with_one_reason_reaches_each_reporter(app, db, items):
    triage = console_client(app, db, "triage")
    chosen = [items["forms"], items["point"]]
    html = bulk(triage, action="reject", ids=chosen, reason="不属于基层减负反映范围").get_data(as_text=True)
    assert "已对 2 条反映作出不予受理" in html
    db.session.expire_all()
    for feedback_id in chosen:
        assert db.session.get(Feedback, feedback_id).status == "rejected"
        event = db.session.query(Event).filter_by(feedback_id=feedback_id, action="reject").one()
        assert event.reason == "不属于基层减负反映范围" and event.visible_to_reporter

    html = bulk(triage, action="reject", ids=[items["meeting"]], reason=" ").get_data(as_text=True)
    assert "不予受理的理由不能为空" in html


def test_a_refused_item_changes_nothing_and_is_named(app, db, items):
    """The routed item cannot be rejected or merged: the batch stops, names it, and nothing moved."""
    triage = console_client(app, db, "triage")
    before = {i: (db.session.get(Feedback, i).status, tags_of(db, i)) for i in items.values()}
    events = db.session.query(Event).count()

    chosen = [items["forms"], items["meeting"], items["point"]]
    html = bulk(triage, action="reject", ids=chosen, reason="重复").get_data(as_text=True)
    assert f"反映 #{items['meeting']} 无法处理" in html and "当前状态为“已交办”，不能执行“不予受理”" in html
    assert "本次勾选的反映均未改动" in html

    html = bulk(triage, action="merge", ids=chosen, target_id=items["point"]).get_data(as_text=True)
    assert f"反映 #{items['meeting']} 无法处理" in html

    html = bulk(triage, action="retag", ids=chosen, tags=["nosuchtag"]).get_data(as_text=True)
    assert f"反映 #{items['forms']} 无法处理：未知标签：nosuchtag" in html

    html = bulk(triage, action="retag", ids=[], tags=["liuhen"]).get_data(as_text=True)
    assert "请先勾选要处理的反映" in html

    db.session.expire_all()
    assert {i: (db.session.get(Feedback, i).status, tags_of(db, i)) for i in items.values()} == before
    assert db.session.query(Event).count() == events


def test_a_large_total_is_capped_and_deep_pages_use_the_last_id(app, db, seeded, client, staff_login):
    """Beyond the count cap the list says "N+" and offers the exact count; 下一页 carries a keyset cursor."""
    app.config["LIST_COUNT_CAP"] = 5
    for n in range(8):
        submit_feedback(f"c{n}", {"kind": "problem", "content": f"第{n}号：每周三次陪会，基层干部没有时间入户。"})
    db.session.commit()
    viewer = console_client(app, db, "viewer")
    first = page(viewer, "/console/inbox?per_page=20")
    assert "共 5+ 条，第 1 页" in first and "统计准确条数" in first and len(ids_on(first)) == 8
    assert "共 8 条" in page(viewer, "/console/inbox?exact=1")
    staff = staff_login("triage")
    api = client.get("/api/staff/v1/feedback", query_string={"per_page": 3}, headers=staff).get_json()
    assert (api["total"], api["total_exact"]) == (5, False) and len(api["items"]) == 3
    seen = [item["id"] for item in api["items"]]
    while api["next_after"] is not None:
        api = client.get(
            "/api/staff/v1/feedback", query_string={"per_page": 3, "after": api["next_after"]}, headers=staff
        ).get_json()
        seen += [item["id"] for item in api["items"]]
    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen)) == 8
    exact = client.get("/api/staff/v1/feedback", query_string={"exact_total": "true"}, headers=staff).get_json()
    assert (exact["total"], exact["total_exact"]) == (8, True)
