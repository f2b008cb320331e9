"""What one submission writes, pinned: the submission path is tuned for speed (issue 12), and none
of it may change what a cadre's report leaves behind — tags with their evidence, the routing
suggestion, the search index, the monthly terms, the event, the idempotent replay."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select

from feedback.models import Event, Feedback, FeedbackTag, FeedbackTerm, IdempotencyRecord, Tag
from feedback.services.admin.search import apply_search
from feedback.services.admin.tagger import get_tagger
from feedback.services.reporting import terms
from feedback.services.triage.suggestions import suggestion_for
from feedback.timeutil import day_start

# Written for these tests: a meeting burden and a data-reporting burden in one text.
TEXT = "镇里开会要求村干部全部陪会，会后还要把同一份人口数据填报三遍，表格格式各不相同。"
BEIJING_MIDNIGHT = datetime(2026, 9, 22, 16, 0, tzinfo=UTC)  # 2026-09-23 00:00 in Beijing


def _submit(client, headers, key=None, **fields):
    extra = {"Idempotency-Key": key} if key else {}
    return client.post(
        "/api/mp/v1/feedback",
        json={"kind": "problem", "content": TEXT, "imposer_level": "district"} | fields,
        headers=headers | extra,
    )


def _counts(db) -> dict[str, int]:
    return {
        model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Feedback, FeedbackTag, FeedbackTerm, Event)
    }


def test_a_submission_writes_its_tags_suggestion_index_terms_and_event(seeded, app, client, mp_login, db):
    app.extensions["clock"].freeze(datetime(2026, 9, 23, 3, 17, 42, tzinfo=UTC))
    reply = _submit(client, mp_login(), key=str(uuid.uuid4()))
    assert reply.status_code == 201
    body = reply.get_json()
    feedback = db.session.scalar(select(Feedback))

    # Tags: what the tagger gives the text, with its evidence and version, at the day only.
    tagger = get_tagger()
    hits = tagger.tag(TEXT)
    assert {"peihui"} <= {h.code for h in hits}
    rows = db.session.execute(
        select(Tag.code, Tag.name, FeedbackTag).join(Tag, Tag.id == FeedbackTag.tag_id).order_by(FeedbackTag.id)
    ).all()
    assert [(code, t.score, t.matched, t.learned, t.source, t.tagger_version) for code, _, t in rows] == [
        (h.code, h.score, list(h.matched), list(h.learned), "auto", tagger.version) for h in hits
    ]
    assert any("陪会" in t.matched for _, _, t in rows)
    assert {t.created_at for _, _, t in rows} == {BEIJING_MIDNIGHT}
    assert body["tags"] == [{"code": code, "name": name} for code, name, _ in rows]

    # The routing suggestion: the duty list's answer for those tags and the reporter's level.
    expected = suggestion_for([h.code for h in hits], TEXT, "district")
    assert expected is not None and feedback.routing_suggestion == expected.as_dict()
    assert feedback.routing_suggestion["rules"]

    # The search index finds it by a word of the text, and not by a word it lacks.
    def found(query: str) -> list[int]:
        return list(db.session.scalars(apply_search(select(Feedback.id), query)))

    assert found("陪会") == [feedback.id] and found("人口数据") == [feedback.id]
    assert found("秸秆") == []

    # Monthly terms: the text's keywords, on its day.
    stored = db.session.execute(select(FeedbackTerm.term, FeedbackTerm.submitted_on)).all()
    assert sorted(stored) == sorted((t, feedback.submitted_on) for t in terms.keywords(TEXT))
    assert feedback.submitted_on.isoformat() == "2026-09-23" == body["submitted_on"]

    # One event, the reporter's, at the day only.
    event = db.session.scalar(select(Event))
    assert (event.feedback_id, event.action, event.actor_type, event.to_status, event.visible_to_reporter) == (
        feedback.id,
        "submitted",
        "reporter",
        "submitted",
        True,
    )
    assert event.created_at == BEIJING_MIDNIGHT and event.data is None and event.actor_id is None
    assert feedback.submitted_at == feedback.updated_at == BEIJING_MIDNIGHT
    assert (feedback.status, feedback.kind, feedback.imposer_level) == ("submitted", "problem", "district")
    assert body["status"] == "submitted" and body["status_label"] == "待研判" and body["attachments"] == 0


def test_a_replay_writes_nothing_and_answers_the_same(seeded, client, mp_login, db):
    headers, key = mp_login(), str(uuid.uuid4())
    first = _submit(client, headers, key=key)
    after_first = _counts(db)
    again = _submit(client, headers, key=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json()
    assert _counts(db) == after_first
    assert after_first["feedback"] == after_first["events"] == 1 and after_first["feedback_terms"] > 0
    assert db.session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 1
    # Without a key, the same text is a second report.
    assert _submit(client, headers).status_code == 201
    assert db.session.scalar(select(func.count()).select_from(Feedback)) == 2


def test_an_expired_key_is_a_new_submission(seeded, app, client, mp_login, db):
    clock = app.extensions["clock"]
    clock.freeze(datetime(2026, 9, 23, 3, 0, tzinfo=UTC))
    openid, key = "o-expired-key", str(uuid.uuid4())
    first = _submit(client, mp_login(openid), key=key)
    clock.advance(hours=app.config["IDEMPOTENCY_TTL_HOURS"] + 48)
    headers = mp_login(openid)  # a new token, the same cadre: the same key is theirs again
    second = _submit(client, headers, key=key)
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.get_json()["receipt"] != first.get_json()["receipt"]
    assert db.session.scalar(select(func.count()).select_from(Feedback)) == 2
    (record,) = db.session.scalars(select(IdempotencyRecord))  # the expired record was taken over
    assert record.created_at == day_start(clock.now())
    assert _submit(client, headers, key=key).get_json() == second.get_json()


def test_a_resent_submission_with_attachments_gets_its_replay(seeded, client, mp_login, db, jpeg_bytes):
    """The first sending took the attachments: the resend must still get the first reply, not a refusal."""
    import io

    headers, key = mp_login(), str(uuid.uuid4())
    upload = client.post(
        "/api/mp/v1/uploads",
        data={"file": (io.BytesIO(jpeg_bytes()), "p.jpg")},
        headers=headers,
        content_type="multipart/form-data",
    ).get_json()
    first = _submit(client, headers, key=key, attachments=[upload["id"]])
    again = _submit(client, headers, key=key, attachments=[upload["id"]])
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json() and first.get_json()["attachments"] == 1
    other = _submit(client, headers, key=str(uuid.uuid4()), attachments=[upload["id"]])
    assert other.status_code == 422 and "attachments" in other.get_json()["errors"]
    assert db.session.scalar(select(func.count()).select_from(Feedback)) == 1
