"""search.similar: likely duplicates of a feedback from the search index, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest

from feedback.models import Feedback
from feedback.services.admin.search import similar
from feedback.services.triage import decisions
from tests.support.api import FORMS, MEETING, submit
from tests.support.lifecycle import TRIAGE

TEXTS = {
    "meeting": MEETING,
    "meeting_again": "秸秆焚烧会议又要求街道书记陪会，我们街道没有庄稼地，这个月已经陪会三次。",
    "meeting_short": "街道书记每月陪会秸秆焚烧会议。",
    "forms": FORMS,
    "unrelated": "村里的网格员同时负责安全生产和环境卫生，属地与部门职责不清。",
}


@pytest.fixture
def ids(seeded, client, mp_login, db) -> dict[str, int]:
    headers = mp_login()
    return {label: submit(client, headers, content)[1] for label, content in TEXTS.items()}


def labels(found: list[Feedback], ids: dict[str, int]) -> list[str]:
    by_id = {v: k for k, v in ids.items()}
    return [by_id[f.id] for f in found]


def test_similar_texts_come_first_and_unrelated_ones_not_at_all(ids, db):
    found = labels(similar(db.session.get(Feedback, ids["meeting_again"])), ids)
    assert set(found) == {"meeting", "meeting_short"} and "meeting_again" not in found


def test_merged_and_rejected_feedback_are_left_out_and_the_limit_holds(ids, db):
    decisions.merge(TRIAGE, db.session.get(Feedback, ids["meeting_short"]), ids["meeting"], None)
    db.session.commit()
    assert labels(similar(db.session.get(Feedback, ids["meeting_again"])), ids) == ["meeting"]
    decisions.reject(TRIAGE, db.session.get(Feedback, ids["meeting"]), "重复")
    db.session.commit()
    assert similar(db.session.get(Feedback, ids["meeting_again"])) == []
    assert len(similar(db.session.get(Feedback, ids["forms"]), limit=1)) <= 1
