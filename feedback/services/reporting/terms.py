"""Monthly terms: the jieba keywords of each feedback, cut once when it is submitted and stored.

A month's ``term`` facts (monthly_facts) are then one GROUP BY over ``feedback_terms`` instead of a
jieba pass over every text of the month (48 s for a 96,840-item month). The keywords are those of
``Tagger.keywords`` (jieba's TF-IDF over its own segmentation, with HMM for unknown words); they are
not the tagger's rule tokens, which leave out unknown words such as 禁烧 or 河长.

Rows made before this table existed, or after the user dictionary changed, are (re)built by
``flask summaries terms`` (``backfill``); the content of a purged feedback takes its terms with it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import ColumnElement, Date, bindparam, delete, func, insert, or_, select, text

from feedback.extensions import db, dialect_name
from feedback.models import Feedback, FeedbackTerm
from feedback.services import driver_sql
from feedback.services.admin.tagger import get_tagger
from feedback.tagging import Tagger

KEYWORDS_PER_FEEDBACK = 8
TERM_MAX = 64  # FeedbackTerm.term and MonthlyFact.key length


def keywords(content: str | None, tagger: Tagger | None = None) -> list[str]:
    """The terms one feedback counts for: its top keywords that fit a fact key. ``tagger``: the
    caller's ``get_tagger()``, when it has it already."""
    found = (tagger or get_tagger()).keywords(content or "", top_k=KEYWORDS_PER_FEEDBACK)
    return [t for t in found if len(t) <= TERM_MAX]


def _rows(feedback_id: int, submitted_on: date, content: str | None) -> list[dict]:
    return [{"feedback_id": feedback_id, "term": t, "submitted_on": submitted_on} for t in keywords(content)]


def store(feedback_id: int, submitted_on: date, content: str | None) -> None:
    """Write one feedback's terms (at intake; flush only, like every command)."""
    store_keywords(feedback_id, submitted_on, keywords(content))


# PostgreSQL: one row of parameters, the terms as one array (an executemany of 8 rows cost the
# submission 0.24 ms of CPU, this 0.1 ms). SQLite's executemany is cheap.
_PG_STORE = text(
    "INSERT INTO feedback_terms (feedback_id, term, submitted_on) "
    "SELECT :feedback_id, term, :submitted_on FROM unnest(CAST(:terms AS varchar[])) AS term"
).bindparams(bindparam("submitted_on", type_=Date()))


_TERMS_INSERT = insert(FeedbackTerm.__table__)


def store_keywords(feedback_id: int, submitted_on: date, found: list[str]) -> None:
    """Write one feedback's ready ``keywords`` in one statement, without the ORM's unit of work."""
    if not found:
        return
    if dialect_name() == "postgresql":
        db.session.execute(_PG_STORE, {"feedback_id": feedback_id, "submitted_on": submitted_on, "terms": found})
    else:
        driver_sql.executemany(
            _TERMS_INSERT,
            [{"feedback_id": feedback_id, "term": t, "submitted_on": submitted_on} for t in found],
            insert_columns=True,
        )


def forget(feedback_ids: list[int]) -> None:
    """Drop the terms of feedback whose content is gone (purged)."""
    if feedback_ids:
        db.session.execute(delete(FeedbackTerm).where(FeedbackTerm.feedback_id.in_(feedback_ids)))


def backfill(
    *,
    since: date | None = None,
    rebuild: bool = False,
    batch: int = 1000,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Cut the terms of every unpurged feedback (submitted on or after ``since``, if given) that has
    none yet — all of them when ``rebuild``, e.g. after the user dictionary changed; commits per
    batch so a long run keeps what it did. Returns how many feedback were cut."""
    recent = () if since is None else (Feedback.submitted_on >= since,)
    if rebuild:
        db.session.execute(delete(FeedbackTerm).where(*(FeedbackTerm.submitted_on >= since for _ in recent)))
        db.session.commit()
    has_terms = select(FeedbackTerm.feedback_id).where(FeedbackTerm.feedback_id == Feedback.id).exists()
    done, last = 0, 0
    while True:
        rows = db.session.execute(
            select(Feedback.id, Feedback.submitted_on, Feedback.content)
            .where(Feedback.id > last, Feedback.purged_at.is_(None), ~has_terms, *recent)
            .order_by(Feedback.id)
            .limit(batch)
        ).all()
        if not rows:
            return done
        cut = [r for fid, submitted_on, content in rows for r in _rows(fid, submitted_on, content)]
        if cut:
            db.session.execute(insert(FeedbackTerm), cut)
        db.session.commit()
        done, last = done + len(rows), rows[-1].id
        if on_batch:
            on_batch(done)


def month_counts(start: date, end: date, excluded_statuses: tuple[str, ...], limit: int) -> dict[str, int]:
    """How many of the feedback submitted in [start, end) have each term: the ``limit`` commonest,
    ties by term in code-point order (as Python sorts), merged and purged feedback left out."""
    count = func.count().label("n")
    term: ColumnElement[str] = FeedbackTerm.term.expression
    if dialect_name() == "postgresql":
        term = FeedbackTerm.term.collate("C")  # byte order of UTF-8 = code-point order; SQLite compares so already
    # The few feedback of the month that do not count, as a set the database hashes once; a join
    # to every feedback of the month would probe its key once per term (775k times for 96,840 items).
    left_out = select(Feedback.id).where(
        Feedback.submitted_on >= start,
        Feedback.submitted_on < end,
        or_(Feedback.status.in_(excluded_statuses), Feedback.purged_at.is_not(None)),
    )
    stmt = (
        select(FeedbackTerm.term, count)
        .where(
            FeedbackTerm.submitted_on >= start,
            FeedbackTerm.submitted_on < end,
            FeedbackTerm.feedback_id.not_in(left_out),
        )
        .group_by(FeedbackTerm.term)
        .order_by(count.desc(), term)
        .limit(limit)
    )
    return {t: n for t, n in db.session.execute(stmt)}
