"""The rows of one new feedback, written in as few statements as the database allows.

A submission writes the feedback, its automatic tags, its monthly terms, the reporter's
"submitted" event and its search index row. On PostgreSQL that is one statement (data-modifying
CTEs: the children take the new id from the feedback's RETURNING), on SQLite one statement per
table (a SQLite statement costs a tenth of a PostgreSQL round trip). Both write exactly the same
values; JSON columns get the text ``json.dumps`` makes, as SQLAlchemy's JSON type does on either
database.

Every time stamp here is the reporter's day (see submit._keep_only_the_day), never the moment.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, LargeBinary, bindparam, insert, text

from feedback.extensions import dialect_name
from feedback.models import Event, Feedback, FeedbackTag
from feedback.models.base import UTCDateTime
from feedback.services import driver_sql
from feedback.services.admin.search import index_new, index_text, pg_vector_sql
from feedback.services.reporting.terms import store_keywords

__all__ = ["Claim", "NewFeedback", "TagRow", "claims_with_feedback", "insert_feedback"]


@dataclass(frozen=True)
class TagRow:
    """One automatic tag of the new feedback, in the tagger's order (best first)."""

    tag_id: int
    score: float
    matched: list[str]
    learned: list[str]


@dataclass(frozen=True)
class Claim:
    """An idempotency record to store with the feedback (see submit._claim_idempotency)."""

    lookup: str
    sealed: bytes
    expires_at: datetime
    moment: datetime  # a record that expired before this moment is taken over


@dataclass(frozen=True)
class NewFeedback:
    kind: str
    content: str
    anonymous: bool
    region_code: str | None
    unit_level: str | None
    imposer_level: str | None
    point_id: int | None
    receipt_hash: str
    day: datetime  # submitted_at, updated_at and every child row's created_at
    submitted_on: date
    routing_suggestion: dict[str, Any] | None
    tags: list[TagRow]
    tagger_version: str
    terms: list[str]
    search_tokens: list[str]  # search.search_tokens of the content


# The event's columns are those record_event writes for a reporter's step (actor_type "reporter",
# visible to the reporter, no actor, no data: JSON null as SQLAlchemy stores None).
_PG_TEMPLATE = """
WITH {claim}new_feedback AS (
    INSERT INTO feedback (kind, status, content, anonymous, region_code, unit_level, imposer_level,
                          point_id, receipt_hash, submitted_at, submitted_on, updated_at,
                          routing_suggestion, reopen_count)
    SELECT :kind, 'submitted', :content, :anonymous, :region_code, :unit_level, :imposer_level,
           :point_id, :receipt_hash, :day, :submitted_on, :day, CAST(:routing_suggestion AS json), 0
    {from_claim}
    RETURNING id
), new_tags AS (
    INSERT INTO feedback_tags (feedback_id, tag_id, score, matched, source, tagger_version, learned, created_at)
    SELECT new_feedback.id, t.tag_id, t.score, CAST(t.matched AS json), 'auto', :tagger_version,
           CAST(t.learned AS json), :day
    FROM new_feedback,
         unnest(CAST(:tag_ids AS integer[]), CAST(:scores AS float8[]), CAST(:matched AS text[]),
                CAST(:learned AS text[])) WITH ORDINALITY AS t(tag_id, score, matched, learned, n)
    ORDER BY t.n
), new_terms AS (
    INSERT INTO feedback_terms (feedback_id, term, submitted_on)
    SELECT new_feedback.id, term, :submitted_on FROM new_feedback, unnest(CAST(:terms AS varchar[])) AS term
), new_event AS (
    INSERT INTO events (feedback_id, assignment_id, actor_type, actor_id, actor_role, action, from_status,
                        to_status, reason, visible_to_reporter, data, created_at)
    SELECT new_feedback.id, NULL, 'reporter', NULL, NULL, 'submitted', NULL, 'submitted', NULL, true,
           CAST('null' AS json), :day
    FROM new_feedback
), new_search AS (
    INSERT INTO feedback_search (feedback_id, vector)
    SELECT new_feedback.id, {search_vector} FROM new_feedback
)
SELECT id FROM new_feedback
"""
# The idempotency claim of submit._claim_idempotency, as the first CTE: the feedback is written only
# if the key was free (or its record expired); otherwise the statement writes nothing, returns no row.
_PG_CLAIM = """claim AS (
    INSERT INTO idempotency_records (lookup, sealed, created_at, expires_at)
    VALUES (:lookup, :sealed, :day, :expires_at)
    ON CONFLICT (lookup) DO UPDATE
        SET sealed = EXCLUDED.sealed, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
        WHERE idempotency_records.expires_at <= :moment
    RETURNING id
), """
_PG_TYPES = (bindparam("day", type_=UTCDateTime()), bindparam("submitted_on", type_=Date()))
# The index row of a new feedback: an insert (no row can exist yet), the vector as search.py writes it.
_PG_VECTOR = pg_vector_sql("search_text")
_PG_SUBMISSION = text(_PG_TEMPLATE.format(claim="", from_claim="", search_vector=_PG_VECTOR)).bindparams(*_PG_TYPES)
_PG_CLAIMED_SUBMISSION = text(
    _PG_TEMPLATE.format(claim=_PG_CLAIM, from_claim="FROM claim", search_vector=_PG_VECTOR)
).bindparams(
    *_PG_TYPES,
    bindparam("expires_at", type_=UTCDateTime()),
    bindparam("moment", type_=UTCDateTime()),
    bindparam("sealed", type_=LargeBinary()),
)

_FEEDBACK_INSERT = insert(Feedback.__table__).returning(Feedback.__table__.c.id)
_TAGS_INSERT = insert(FeedbackTag.__table__)
_EVENT_INSERT = insert(Event.__table__)


def _on_postgresql() -> bool:
    return dialect_name() == "postgresql"


def claims_with_feedback() -> bool:
    """Can ``insert_feedback`` take the idempotency claim into its statement (PostgreSQL only)?"""
    return _on_postgresql()


def insert_feedback(new: NewFeedback, claim: Claim | None = None) -> int | None:
    """Write the feedback, its tags, terms, "submitted" event and search index row; return its id.

    With ``claim`` (only where ``claims_with_feedback()``), the idempotency record is stored in the
    same statement, first: None, and nothing written, when an unexpired record holds the key.
    """
    if _on_postgresql():
        return _insert_postgresql(new, claim)
    if claim is not None:
        raise ValueError("this database takes the idempotency claim apart from the feedback")
    return _insert_each(new)


def _reported(new: NewFeedback) -> dict[str, Any]:
    """The feedback's columns as the reporter's request gave them (the same on both databases)."""
    return {
        "kind": new.kind,
        "content": new.content,
        "anonymous": new.anonymous,
        "region_code": new.region_code,
        "unit_level": new.unit_level,
        "imposer_level": new.imposer_level,
        "point_id": new.point_id,
        "receipt_hash": new.receipt_hash,
    }


def _insert_postgresql(new: NewFeedback, claim: Claim | None) -> int | None:
    params = {
        **_reported(new),
        "day": new.day,
        "submitted_on": new.submitted_on,
        "routing_suggestion": json.dumps(new.routing_suggestion),
        "tag_ids": [t.tag_id for t in new.tags],
        "scores": [t.score for t in new.tags],
        "matched": [json.dumps(t.matched) for t in new.tags],
        "learned": [json.dumps(t.learned) for t in new.tags],
        "tagger_version": new.tagger_version,
        "terms": new.terms,
        "search_text": index_text(new.search_tokens),
    }
    if claim is None:
        return driver_sql.execute(_PG_SUBMISSION, params)[0][0]
    params |= {"lookup": claim.lookup, "sealed": claim.sealed, "expires_at": claim.expires_at, "moment": claim.moment}
    rows = driver_sql.execute(_PG_CLAIMED_SUBMISSION, params)
    return rows[0][0] if rows else None


def _insert_each(new: NewFeedback) -> int:
    values = {
        **_reported(new),
        "status": "submitted",
        "submitted_at": new.day,
        "submitted_on": new.submitted_on,
        "updated_at": new.day,
        "routing_suggestion": new.routing_suggestion,
        "reopen_count": 0,
    }
    feedback_id: int = driver_sql.execute(_FEEDBACK_INSERT, values, insert_columns=True)[0][0]
    driver_sql.executemany(
        _TAGS_INSERT,
        [
            {
                "feedback_id": feedback_id,
                "tag_id": t.tag_id,
                "score": t.score,
                "matched": t.matched,
                "source": "auto",
                "tagger_version": new.tagger_version,
                "learned": t.learned,
                "created_at": new.day,
            }
            for t in new.tags
        ],
        insert_columns=True,
    )
    store_keywords(feedback_id, new.submitted_on, new.terms)
    driver_sql.execute(
        _EVENT_INSERT,
        {
            "feedback_id": feedback_id,
            "assignment_id": None,
            "action": "submitted",
            "actor_type": "reporter",
            "actor_id": None,
            "actor_role": None,
            "from_status": None,
            "to_status": "submitted",
            "reason": None,
            "visible_to_reporter": True,
            "data": None,
            "created_at": new.day,
        },
        insert_columns=True,
    )
    index_new(feedback_id, new.search_tokens)
    return feedback_id
