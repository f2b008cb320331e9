"""Chinese full-text search over feedback content, with the database's own full-text index.

Neither SQLite nor PostgreSQL can segment Chinese, so tokens are made here and the database
only ever sees a space-separated list of ready-made tokens. A segmentation (jieba's search mode,
used before) depends on the surrounding text: in "指尖上的形式主义" it never yields 形式主义, and
"政务APP" stays one word, so a person typing 形式主义 or APP found nothing. Tokens are therefore
made without context, so that a query found *inside* a text always matches it:

- a text is indexed with every Chinese character (minus a few function words) and every word of
  the jieba dictionary, user dictionary included, that occurs anywhere in it, overlaps and all
  (``属地管理`` -> ``属 地 管 理 属地 管理 属地管理``); runs of other letters and digits
  (``app``, ``excel``, ``2026``) are one token each, apart from the Chinese around them;
- a query asks for its dictionary words, plus any character no word of the query covers (a name
  jieba does not know, ``嵩阳``, becomes ``嵩 阳``); every one of them occurs in any text that
  contains the query, whatever the text around it.

After changing these rules or the user dictionary, run ``flask search reindex``.

- SQLite: the FTS5 table ``feedback_fts(tokens)`` whose rowid is ``feedback.id``; a trigger on
  ``feedback`` deletes the row with the feedback (SQLite reuses rowids of deleted rows).
- PostgreSQL: ``feedback_search(feedback_id, vector)`` where ``vector`` is
  ``strip(to_tsvector('simple', tokens))`` (the lexemes, no positions: the token text itself is not
  kept) with a GIN index; the foreign key cascades deletes.

"The same results on both" holds because every token is reduced here to letters and ASCII
digits, lower-cased, which both FTS5's ``unicode61`` tokenizer and PostgreSQL's default parser
(checked under the C and C.UTF-8 locales) keep as exactly one unchanged word. Each query
token must match a whole indexed token (no prefixes), and all query tokens must match (AND).
Queries are never parsed by the database as syntax: FTS5 gets each token as a quoted phrase
in a bound parameter, PostgreSQL gets the tokens through ``plainto_tsquery``.

The tables are migration-only (they differ per dialect), so they are not models;
``include_name`` keeps Alembic's model comparison away from them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa
from flask import g, has_app_context
from sqlalchemy import ColumnElement, Select, select

from feedback.extensions import db, dialect_name
from feedback.models import Feedback
from feedback.services import driver_sql
from feedback.services.admin.tagger import get_tagger
from feedback.tagging import Tagger
from feedback.taxonomy import normalise

__all__ = [
    "SEARCH_TABLES",
    "apply_search",
    "include_name",
    "index_feedback",
    "index_text",
    "index_tokens",
    "matching_ids",
    "matching_ids_clause",
    "pg_vector_sql",
    "query_tokens",
    "reindex_all",
    "search_tokens",
    "similar",
]

# The FTS5 table and its shadow tables (SQLite), the tsvector table (PostgreSQL).
SEARCH_TABLES = frozenset(
    {
        "feedback_search",
        "feedback_fts",
        *(f"feedback_fts_{suffix}" for suffix in ("data", "idx", "content", "docsize", "config")),
    }
)

# Single-character function words: in nearly every text, so they only bloat the index and
# make an AND query stricter than the user meant. Dropped from texts and queries alike.
_STOPWORDS = frozenset("的了是在和与及或而之着过吗呢吧啊呀地得也都就")

# Letters that Python and SQLite's unicode61 tables disagree on (SQLite folds them to another
# letter, or its older Unicode tables call them marks). Treated as separators so both
# databases see the same words; none of them occurs in Chinese text.
_UNSTABLE = frozenset(
    "\u00b5\u017f\u03c2\u03d0\u03d1\u03d5\u03d6\u03f0\u03f1\u03f5\u1e9b\u1fbe\u19c8\u19c9\u1cf2\u1cf3"
) | frozenset(map(chr, range(0x19B0, 0x19C1)))
_ASCII_DIGITS = frozenset("0123456789")
# PostgreSQL skips words over 2047 bytes; a cap far below that keeps both sides identical.
_MAX_TOKEN_CHARS = 64


def _is_token_char(ch: str) -> bool:
    return ch in _ASCII_DIGITS or (ch.isalpha() and ch not in _UNSTABLE)


def _pieces(word: str) -> Iterable[str]:
    """Split one jieba token at every character that is not a letter or an ASCII digit."""
    piece: list[str] = []
    for ch in word.lower():
        if _is_token_char(ch):
            piece.append(ch)
        elif piece:
            yield "".join(piece)
            piece = []
    if piece:
        yield "".join(piece)


# Chinese characters (CJK unified ideographs, extension A, compatibility, extensions B–G).
_HAN = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+)")


def _tokens(text: str | None, *, query: bool, tagger: Tagger | None = None) -> list[str]:
    if not text or not text.strip():
        return []
    tagger = tagger or get_tagger()
    seen: dict[str, None] = {}

    def add(token: str) -> None:
        if len(token) <= _MAX_TOKEN_CHARS and token not in _STOPWORDS:
            seen.setdefault(token, None)

    for piece in _pieces(normalise(text)):
        for i, part in enumerate(_HAN.split(piece)):
            if not part:
                continue
            if i % 2 == 0:  # letters of other scripts and ASCII digits
                add(part)
                continue
            spans = tagger.dictionary_spans(part)
            covered = {k for start, end in spans for k in range(start, end)} if query else set()
            for start, end in spans:
                add(part[start:end])
            for k, ch in enumerate(part):
                if k not in covered:
                    add(ch)
    return list(seen)


def search_tokens(text: str | None, tagger: Tagger | None = None) -> list[str]:
    """Distinct index tokens of a feedback text, in first-seen order (rules in the module docstring).
    ``tagger``: the caller's ``get_tagger()``, when it has it already."""
    return _tokens(text, query=False, tagger=tagger)


def query_tokens(query: str | None) -> list[str]:
    """Distinct tokens a query asks for (all must match); each is an index token of any text that
    contains the query."""
    return _tokens(query, query=True)


def _dialect() -> str:
    name = dialect_name()
    if name not in ("sqlite", "postgresql"):
        raise NotImplementedError(f"full-text search is not available on {name}")
    return name


_SQLITE_DELETE = sa.text("DELETE FROM feedback_fts WHERE rowid = :id")
_SQLITE_INSERT = sa.text("INSERT INTO feedback_fts (rowid, tokens) VALUES (:id, :tokens)")


def pg_vector_sql(param: str) -> str:
    """SQL of the ``feedback_search.vector`` stored for the bound parameter ``:param``, which holds
    ``index_text`` of a feedback's tokens. Only the lexemes are stored, without positions
    (migration e8b3a5d1c7f2): no query reads either. Every PostgreSQL writer of the index (this
    module, the submission's statement in intake.submission_rows) writes this expression."""
    return f"strip(to_tsvector('simple', :{param}))"


def index_text(tokens: list[str]) -> str:
    """What the index is written from: the ready ``search_tokens``, separated by blanks."""
    return " ".join(tokens)


_PG_UPSERT = sa.text(
    f"INSERT INTO feedback_search (feedback_id, vector) VALUES (:id, {pg_vector_sql('tokens')}) "
    "ON CONFLICT (feedback_id) DO UPDATE SET vector = EXCLUDED.vector"
)


def _upsert(rows: list[dict[str, Any]]) -> None:
    """Write index rows in the session's transaction (executemany); the caller commits."""
    if not rows:
        return
    if _dialect() == "sqlite":
        # An FTS5 row cannot be updated in place by key; delete and insert is its upsert.
        driver_sql.executemany(_SQLITE_DELETE, [{"id": r["id"]} for r in rows])
        driver_sql.executemany(_SQLITE_INSERT, rows)
    else:
        db.session.execute(_PG_UPSERT, rows)


def index_feedback(feedback_id: int, text: str) -> None:
    """(Re)index one feedback; the feedback row must already be flushed. Never commits."""
    index_tokens(feedback_id, search_tokens(text))


def index_tokens(feedback_id: int, tokens: list[str]) -> None:
    """Write the index row of one feedback from its ready ``search_tokens`` (a caller that has cut
    the text already, e.g. the submission). The feedback row must already be written. Never commits."""
    _upsert([{"id": feedback_id, "tokens": index_text(tokens)}])


def index_new(feedback_id: int, tokens: list[str]) -> None:
    """Write the index row of a feedback written in this transaction (the submission). No row can
    be there yet — a deleted feedback takes its row with it (trigger feedback_fts_delete on SQLite,
    ON DELETE CASCADE on PostgreSQL) — so on SQLite it is inserted, without the delete of an upsert."""
    row = {"id": feedback_id, "tokens": index_text(tokens)}
    if _dialect() == "sqlite":
        driver_sql.execute(_SQLITE_INSERT, row)
    else:
        _upsert([row])


def reindex_all(batch: int = 500, on_batch: Callable[[int], None] | None = None) -> int:
    """Index every feedback, ``batch`` rows at a time in id order; returns how many.

    Services never commit, so a caller that wants to keep a long run's memory and locks small
    passes ``on_batch`` (called with the running total after each batch) to commit there.
    """
    if batch < 1:
        raise ValueError("batch must be at least 1")
    done = 0
    last_id = 0
    while True:
        rows = db.session.execute(
            select(Feedback.id, Feedback.content).where(Feedback.id > last_id).order_by(Feedback.id).limit(batch)
        ).all()
        if not rows:
            return done
        _upsert([{"id": row.id, "tokens": index_text(search_tokens(row.content))} for row in rows])
        done += len(rows)
        last_id = rows[-1].id
        if on_batch is not None:
            on_batch(done)


_fts = sa.table("feedback_fts", sa.column("rowid", sa.BigInteger), sa.column("tokens", sa.Text))
_pg = sa.table("feedback_search", sa.column("feedback_id", sa.BigInteger), sa.column("vector"))


def _fts5_phrase(token: str) -> str:
    # A double-quoted FTS5 string is always a phrase, never an operator (OR, NEAR, column:).
    return '"' + token.replace('"', '""') + '"'


def _implied_tokens_dropped(tokens: list[str]) -> list[str]:
    """The query tokens without those that another query token implies: a Chinese token inside a
    longer Chinese token (属地 and 管理 inside 属地管理). A text indexed with 属地管理 has it in a run
    of Chinese characters, so it is indexed with every character of that run and every dictionary
    word in it too (``search_tokens``): asking for them as well changes no result, but makes the
    database read their long posting lists (管理 is in a third of all texts). Runs of other letters
    are one token each, whatever they contain (``excel`` does not index ``ex``), so only Chinese
    tokens are dropped."""
    han = [t for t in tokens if _HAN.fullmatch(t)]
    return [t for t in tokens if t not in han or not any(t != other and t in other for other in han)]


def _asked_tokens(query: str | None) -> tuple[str, ...]:
    """The tokens ``matching_ids`` asks the index for, cut once per app context and tagger: an inbox
    page asks for the same query's ids several times (page windows, count)."""
    if not has_app_context():
        return tuple(_implied_tokens_dropped(query_tokens(query)))
    key = (get_tagger(), query)  # a tagger loaded again (another user dictionary) cuts anew
    memo = g.setdefault("search_query_tokens", {})
    if key not in memo:
        memo[key] = tuple(_implied_tokens_dropped(query_tokens(query)))
    return memo[key]


def matching_ids(
    query: str | None, *, lowest: int | None = None, highest: int | None = None, row_by_row: bool = False
) -> Select[Any] | None:
    """``SELECT`` of the ids whose index has every query token, optionally only ids from ``lowest``
    to ``highest`` (inclusive); None when the query has no tokens (empty, blanks, punctuation only,
    or only function words) and so filters nothing.

    The id range is applied in the index table itself, so that a window of recent ids reads only
    that window: FTS5 seeks its doclists to the rowid range. PostgreSQL intersects the range with
    the GIN index's matches, which reads every match of the query first (0.57 million rows of 10^6
    for 工作: 38 ms); ``row_by_row`` has it check each row of a small range instead (the function
    form of ``@@`` is not matched to the index), whatever the query.
    """
    tokens = _asked_tokens(query)
    if not tokens:
        return None
    if _dialect() == "sqlite":
        # FTS5 joins phrases separated by blanks with AND.
        match = " ".join(_fts5_phrase(t) for t in tokens)
        column = _fts.c.rowid
        ids = select(column).where(sa.literal_column("feedback_fts").op("MATCH", is_comparison=True)(match))
    else:
        # plainto_tsquery ANDs the words; the tokens are one word each (see module docstring).
        tsquery = sa.func.plainto_tsquery(sa.literal_column("'simple'::regconfig"), " ".join(tokens))
        column = _pg.c.feedback_id
        matched = (
            sa.func.ts_match_vq(_pg.c.vector, tsquery, type_=sa.Boolean)
            if row_by_row
            else _pg.c.vector.op("@@", is_comparison=True)(tsquery)
        )
        ids = select(column).where(matched)
    if lowest is not None:
        ids = ids.where(column >= lowest)
    if highest is not None:
        ids = ids.where(column <= highest)
    return ids


def matching_ids_clause(
    query: str | None, *, lowest: int | None = None, highest: int | None = None, row_by_row: bool = False
) -> ColumnElement[bool] | None:
    """``Feedback.id IN (ids whose index has every query token)`` (``matching_ids``); None when the
    query has no tokens and so filters nothing.
    """
    ids = matching_ids(query, lowest=lowest, highest=highest, row_by_row=row_by_row)
    return None if ids is None else Feedback.id.in_(ids)


def apply_search(stmt: Select[Any], query: str | None) -> Select[Any]:
    """Narrow a ``select(Feedback)`` (with any other filters, order and pagination) to ``query``."""
    clause = matching_ids_clause(query)
    return stmt if clause is None else stmt.where(clause)


def include_name(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
    """Alembic ``include_name`` hook: the search tables are not models, leave them out of
    autogenerate and of the models-versus-migrations comparison."""
    return not (type_ == "table" and name in SEARCH_TABLES)


# ``similar``: how many keywords of a text are looked up, and how many index hits are weighed.
_SIMILAR_KEYWORDS = 12
_SIMILAR_CANDIDATES = 50


def _any_token_ids(tokens: list[str], limit: int) -> list[int]:
    """Ids of texts whose index has at least one of ``tokens``, best-ranked first."""
    if _dialect() == "sqlite":
        match = " OR ".join(_fts5_phrase(t) for t in tokens)
        rows = db.session.execute(
            sa.text("SELECT rowid FROM feedback_fts WHERE feedback_fts MATCH :m ORDER BY rank LIMIT :n"),
            {"m": match, "n": limit},
        )
    else:
        # Every token is letters and ASCII digits only (module docstring), so quoting it as a
        # tsquery lexeme is exact; the words are ORed.
        rows = db.session.execute(
            sa.text(
                "SELECT feedback_id FROM feedback_search, to_tsquery('simple', :q) AS q "
                "WHERE vector @@ q ORDER BY ts_rank(vector, q) DESC, feedback_id DESC LIMIT :n"
            ),
            {"q": " | ".join(f"'{t}'" for t in tokens), "n": limit},
        )
    return [row[0] for row in rows]


def similar(feedback: Feedback, limit: int = 5) -> list[Feedback]:
    """Feedback whose text shares the most keywords with this one: likely duplicates to merge.

    The text's TF-IDF keywords are looked up in the search index (any of them), and the candidates
    are ordered by how many of the keywords they contain. Itself, merged and rejected feedback
    (which cannot be merge targets) are left out.
    """
    keywords = [
        token
        for token in query_tokens(" ".join(get_tagger().keywords(feedback.content, _SIMILAR_KEYWORDS)))
        if len(token) > 1
    ]
    if not keywords:
        return []
    ids = [i for i in _any_token_ids(keywords, _SIMILAR_CANDIDATES) if i != feedback.id]
    if not ids:
        return []
    candidates = db.session.scalars(
        select(Feedback).where(Feedback.id.in_(ids), Feedback.status.not_in(("merged", "rejected")))
    ).all()
    wanted = set(keywords)

    def shared(other: Feedback) -> int:
        return len(wanted & set(search_tokens(other.content)))

    scored = [(shared(other), other) for other in candidates]
    needed = min(2, len(wanted))
    scored = [pair for pair in scored if pair[0] >= needed]
    scored.sort(key=lambda pair: (-pair[0], -pair[1].id))
    return [other for _, other in scored[:limit]]
