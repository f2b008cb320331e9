"""The inbox's pages are the same rows in the same order however they are reached: page=N (OFFSET,
read through a deferred join when deep), the keyset cursor ``after``, or one long page; a text
search's page is the same whether it is found in the newest id window or after widening it."""

from __future__ import annotations

import pytest

from feedback.services.intake.submit import submit_feedback
from feedback.services.triage import inbox

SENTENCES = [
    "街道每周开三次调度会，社区书记只能晚上入户走访。",
    "各部门要求分别报送同一张报表，社区干部反复填报。",
    "属地管理被当成甩锅的理由，镇里什么事都推给村里。",
    "政务APP要求每天签到打卡，网格员疲于应付。",
]


@pytest.fixture
def many(seeded, db):
    for n in range(26):
        data = {"kind": ("problem", "suggestion")[n % 2], "content": f"第{n}号：{SENTENCES[n % len(SENTENCES)]}"}
        if n % 3 == 0:
            data["point_code"] = "GC01"
        submit_feedback(f"page{n}", data)
    db.session.commit()


FILTERS = [
    {},
    {"kind": "problem"},
    {"point": "GC01"},
    {"q": "报表"},
    {"q": "报表", "order": "oldest"},
    {"q": "签到", "kind": "suggestion"},
    {"order": "oldest"},
    {"status": "submitted"},
    {"tag": "tianbao"},  # a tag alone: its page read from the tag's index (inbox._tagged_page)
    {"tag": "tianbao", "order": "oldest"},
]


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: ",".join(f"{k}={v}" for k, v in f.items()) or "none")
def test_every_way_to_a_page_lists_the_same_rows(many, client, staff_login, monkeypatch, filters):
    staff = staff_login("triage")

    def get(**params):
        reply = client.get("/api/staff/v1/feedback", query_string=filters | params, headers=staff)
        assert reply.status_code == 200, reply.get_json()
        return reply.get_json()

    everything = [item["id"] for item in get(per_page=100)["items"]]
    assert everything  # every filter here matches something
    by_offset_near = [[item["id"] for item in get(per_page=4, page=n)["items"]] for n in range(1, 9)]
    monkeypatch.setattr(inbox, "DEFERRED_OFFSET", 1)  # every page after the first by the deferred join
    monkeypatch.setattr(inbox, "SEARCH_WINDOW", 2)  # a search's page is looked for in growing windows
    by_offset_deep = [[item["id"] for item in get(per_page=4, page=n)["items"]] for n in range(1, 9)]
    by_cursor, after = [], None
    while True:
        body = get(per_page=4, **({"after": after} if after is not None else {}))
        by_cursor.append([item["id"] for item in body["items"]])
        after = body["next_after"]
        if after is None:
            break
    expected = [everything[i : i + 4] for i in range(0, 32, 4)]
    assert by_offset_near == by_offset_deep == expected
    assert by_cursor == [page for page in expected if page]
