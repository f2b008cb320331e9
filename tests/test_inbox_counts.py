"""The inbox's totals and the ways it finds a page at scale: a text search is counted to a lower
cap and says so ("1000+", with 统计准确条数) in the API and the console alike; overdue=true alone,
a tag combined with narrow filters, and a region with a status list and count the same rows
whichever way the database is asked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from feedback.clock import now
from feedback.models import Assignment, Feedback
from feedback.services.intake.submit import submit_feedback
from feedback.services.triage import inbox
from tests.support.api import route
from tests.support.console import console_client

MEETINGS = "乡镇干部每周被叫去陪会三次，入户走访的时间都没有了。"
FORMS = "同一套报表每月要向四个部门分别填报，表格越填越多。"


@pytest.fixture
def mixed(seeded, db):
    """Twelve submissions, meetings and forms in turn; every third from observation point GC01."""
    ids = []
    for n in range(12):
        data = {"kind": ("problem", "suggestion")[n % 2], "content": f"{n}号：{(MEETINGS, FORMS)[n % 2]}"}
        if n % 3 == 0:
            data["point_code"] = "GC01"
        submit_feedback(f"count{n}", data)
        ids.append(db.session.scalar(select(func.max(Feedback.id))))
    db.session.commit()
    return ids


def api(client, staff, **params):
    reply = client.get("/api/staff/v1/feedback", query_string=params, headers=staff)
    assert reply.status_code == 200, reply.get_json()
    return reply.get_json()


def test_a_text_search_is_counted_to_its_own_cap_and_says_so(app, db, mixed, client, staff_login):
    app.config["SEARCH_COUNT_CAP"] = 4
    staff = staff_login("triage")
    body = api(client, staff, q="报表")
    assert (body["total"], body["total_exact"]) == (4, False) and len(body["items"]) == 6
    assert (api(client, staff, q="报表", exact_total="true")["total"], True) == (6, True)
    assert (api(client, staff, q="报表", kind="suggestion")["total_exact"]) is False
    few = api(client, staff, q="报表", point="GC01")  # 3 and 9: under the cap, exact
    assert (few["total"], few["total_exact"]) == (2, True)
    assert api(client, staff)["total"] == 12  # other lists keep the usual cap
    viewer = console_client(app, db, "viewer")
    html = viewer.get("/console/inbox?q=报表").get_data(as_text=True)
    assert "共 4+ 条，第 1 页" in html and "统计准确条数" in html
    assert "共 6 条" in viewer.get("/console/inbox?q=报表&exact=1").get_data(as_text=True)


@pytest.mark.parametrize("order", ["newest", "oldest"])
def test_a_search_past_its_first_window_lists_and_counts_what_the_whole_search_does(
    app, db, mixed, client, staff_login, monkeypatch, order
):
    """A page not found among the newest (oldest) ids is looked for further: by wider windows, or on
    PostgreSQL by reading the search's first matches once, which also gives the total."""
    staff = staff_login("triage")
    whole = api(client, staff, q="报表", order=order, per_page=100)
    assert len(whole["items"]) == 6 and (whole["total"], whole["total_exact"]) == (6, True)
    monkeypatch.setattr(inbox, "SEARCH_WINDOW", 2)  # every page now lies past the first window
    pages = [api(client, staff, q="报表", order=order, per_page=4, page=n) for n in (1, 2, 3)]
    assert [item["id"] for page in pages for item in page["items"]] == [item["id"] for item in whole["items"]]
    assert [(page["total"], page["total_exact"]) for page in pages] == [(6, True)] * 3
    assert pages[2]["items"] == [] and pages[1]["next_after"] is None
    app.config["SEARCH_COUNT_CAP"] = 4
    capped = api(client, staff, q="报表", order=order, per_page=4)
    assert (capped["total"], capped["total_exact"]) == (4, False)
    assert [item["id"] for item in capped["items"]] == [item["id"] for item in whole["items"]][:4]
    beyond = api(client, staff, q="报表", order=order, per_page=4, page=2)  # past the cap: by windows
    assert [item["id"] for item in beyond["items"]] == [item["id"] for item in whole["items"]][4:]


def _ids(client, staff, **params) -> list[int]:
    return [item["id"] for item in api(client, staff, per_page=100, **params)["items"]]


def test_overdue_alone_lists_what_the_general_filter_lists(app, db, mixed, client, staff_login, monkeypatch):
    for fid in mixed[:7]:
        route(db, fid, "city-wb")
    late = mixed[1:6]
    db.session.execute(
        update(Assignment).where(Assignment.feedback_id.in_(late)).values(due_at=now() - timedelta(days=1))
    )
    db.session.execute(  # answered but not yet accepted: still open, still late
        update(Assignment).where(Assignment.feedback_id == late[0]).values(status="responded")
    )
    db.session.execute(  # waived: closed for the department, no longer late
        update(Assignment)
        .where(Assignment.feedback_id == mixed[6])
        .values(status="waived", due_at=now() - timedelta(days=2))
    )
    db.session.commit()
    staff = staff_login("triage")
    newest = sorted(late, reverse=True)
    assert _ids(client, staff, overdue="true") == newest
    assert _ids(client, staff, overdue="true", order="oldest") == sorted(late)
    pages = []
    for general in (False, True):  # from the assignments' index, then as any other filter
        if general:
            monkeypatch.setattr(inbox, "_late_page", lambda *args: None)
        body = api(client, staff, overdue="true", per_page=2)
        second = api(client, staff, overdue="true", per_page=2, after=body["next_after"])
        third = api(client, staff, overdue="true", per_page=2, page=3)
        pages.append([[i["id"] for i in page["items"]] for page in (body, second, third)] + [body["total"]])
        assert _ids(client, staff, overdue="true", order="oldest") == sorted(late)
    assert pages[0] == pages[1] == [newest[:2], newest[2:4], newest[4:], 5]
    assert set(_ids(client, staff, overdue="false")) == set(mixed) - set(late)
    for params in ({"overdue": "false"}, {"overdue": "true"}):  # each counted with the tag, not the tag alone
        body = api(client, staff, tag="peihui", per_page=100, **params)
        assert body["total"] == len(body["items"]) < api(client, staff, tag="peihui")["total"]


@pytest.mark.parametrize(
    "filters",
    [
        {"status": "submitted"},
        {"kind": "problem"},
        {"point": "GC01"},
        {"region": None},
        {"status": "submitted", "region": None},
        {"status": "submitted", "q": "陪会"},
    ],
    ids=lambda f: ",".join(f),
)
def test_a_tag_with_other_filters_lists_the_same_rows_probed_or_joined(
    app, db, mixed, client, staff_login, monkeypatch, filters
):
    staff = staff_login("triage")
    region = db.session.get(Feedback, mixed[0]).region_code[:2]  # the observation point's province
    params = {k: v or region for k, v in filters.items()} | {"tag": "peihui"}
    monkeypatch.setattr(inbox, "TAG_PROBE_LIMIT", 10**6)  # probe every row of the other filters
    probed = _ids(client, staff, **params), api(client, staff, **params)["total"]
    monkeypatch.setattr(inbox, "TAG_PROBE_LIMIT", 0)  # join the tag's rows
    joined = _ids(client, staff, **params), api(client, staff, **params)["total"]
    assert probed == joined and probed[0]
    assert probed[1] == len(probed[0])


def test_a_region_prefix_counts_the_rows_it_lists(app, db, mixed, client, staff_login):
    region = db.session.get(Feedback, mixed[0]).region_code
    assert region, "the sample observation point has a region"
    staff = staff_login("triage")
    others = region[:-1] + ("0" if region[-1] == "9" else "9")
    for prefix in (region[:2], region[:4], region, others):
        for extra in ({}, {"status": "submitted"}):
            body = api(client, staff, region=prefix, per_page=100, **extra)
            assert body["total"] == len(body["items"]) and body["total_exact"]
            assert all(item["region_code"].startswith(prefix) for item in body["items"])


def test_a_search_needs_every_word_asked_for(app, db, seeded, client, staff_login):
    """属地管理 is asked for as itself (属地 and 管理 inside it go without saying); a run of letters
    is a word of its own, so "ex" is not found inside "Excel"."""
    texts = {
        "whole": "所谓属地管理，就是把责任层层推给村里。",
        "apart": "属地的事情太多，管理却跟不上。",
        "excel": "每天用Excel表格报送数据。",
    }
    ids = {}
    for label, content in texts.items():
        submit_feedback(label, {"kind": "problem", "content": content})
        ids[label] = db.session.scalar(select(func.max(Feedback.id)))
    db.session.commit()
    staff = staff_login("triage")
    assert _ids(client, staff, q="属地管理") == [ids["whole"]]
    assert _ids(client, staff, q="属地 管理") == [ids["apart"], ids["whole"]]
    assert _ids(client, staff, q="excel") == [ids["excel"]]
    assert _ids(client, staff, q="ex excel") == []


def test_a_costly_count_takes_the_planners_word_when_it_is_far_above_the_cap(app, db):
    """guess=True (text searches, tags probed row by row): on PostgreSQL an estimate of five times
    the cap or more answers "cap+" from EXPLAIN alone; below that, and on SQLite, rows are counted."""
    from sqlalchemy import event

    from feedback.services.paging import count_capped

    sent: list[str] = []

    def remember(conn, cursor, statement, *args):
        sent.append(statement.split()[0].upper())

    postgresql = db.engine.dialect.name == "postgresql"
    # Sixty rows the planner knows of on PostgreSQL; on SQLite any statement (no estimate to ask).
    numbers = select(func.generate_series(1, 60).column_valued()) if postgresql else select(Feedback.id)
    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        far = count_capped(numbers, cap=10, guess=True)
        sent_far, sent[:] = list(sent), []
        near = count_capped(numbers, cap=20, guess=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    if postgresql:
        assert (far.value, far.exact, far.label) == (10, False, "10+") and sent_far == ["EXPLAIN"]
        assert (near.value, near.exact) == (20, False) and sent == ["EXPLAIN", "SELECT"]  # 60 < 5 x 20: counted
    else:
        assert sent_far == ["SELECT"] and sent == ["SELECT"]  # counted, no estimate asked
