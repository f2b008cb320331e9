"""Following a submission with the receipt alone."""

from __future__ import annotations

import time

from feedback.privacy import generate_receipt

CONTENT = "上级部门层层开会，每次都要求村支书到场陪会凑人数，一周要跑三趟县城。"


def _submit(client, headers):
    reply = client.post("/api/mp/v1/feedback", json={"kind": "problem", "content": CONTENT}, headers=headers)
    assert reply.status_code == 201
    return reply.get_json()["receipt"]


def test_receipt_shows_status_tags_and_timeline_on_another_phone(seeded, client, mp_login):
    receipt = _submit(client, mp_login("o-phone-1"))
    reply = client.post("/api/mp/v1/feedback/track", json={"receipt": receipt}, headers=mp_login("o-phone-2"))
    assert reply.status_code == 200
    body = reply.get_json()
    assert body["status"] == "submitted" and body["status_label"] == "待研判"
    assert body["kind"] == "problem"
    assert any(t["name"] == "陪会" for t in body["tags"])
    assert [item["label"] for item in body["timeline"]] == ["已收到您的反映"]
    assert len(body["timeline"][0]["on"]) == 10  # a day, not a moment
    assert body["messages"] == []


def test_receipt_typed_sloppily_still_works(seeded, client, mp_login):
    headers = mp_login()
    receipt = _submit(client, headers)
    sloppy = " " + receipt.lower().replace("-", " ") + " "
    assert client.post("/api/mp/v1/feedback/track", json={"receipt": sloppy}, headers=headers).status_code == 200


def test_unknown_and_malformed_receipts_are_404_and_no_faster(seeded, app, client, mp_login):
    headers = mp_login()
    floor = app.config["TRACK_MIN_SECONDS"]
    receipt = _submit(client, headers)
    for candidate in (generate_receipt(), "rubbish", receipt):
        started = time.monotonic()
        reply = client.post("/api/mp/v1/feedback/track", json={"receipt": candidate}, headers=headers)
        assert time.monotonic() - started >= floor
        if candidate != receipt:
            assert reply.status_code == 404
            assert reply.get_json()["code"] == "receipt_not_found"


def test_tracking_is_rate_limited(seeded, app, client, mp_login):
    app.config["RATE_LIMIT_TRACK"] = "3 per minute"
    headers = mp_login()
    codes = [
        client.post("/api/mp/v1/feedback/track", json={"receipt": generate_receipt()}, headers=headers).status_code
        for _ in range(4)
    ]
    assert codes == [404, 404, 404, 429]


def test_no_route_takes_a_receipt_in_the_url(app):
    for rule in app.url_map.iter_rules():
        assert "receipt" not in rule.rule
