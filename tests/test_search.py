"""Chinese full-text search: jieba tokens in FTS5 (SQLite) or tsvector (PostgreSQL).

The suite runs on both databases with the same expectations, written as sets of text labels
(ids differ between runs), so a pass on both means the two give the same results.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, text

from feedback.extensions import db as _db
from feedback.jobs import runner
from feedback.models import Feedback
from feedback.services.admin.search import (
    _pieces,
    apply_search,
    index_feedback,
    matching_ids_clause,
    query_tokens,
    reindex_all,
    search_tokens,
)

TEXTS = {
    "A": "坚持属地管理原则，乡镇却被要求承担属地管理以外的责任，层层签订责任状。",
    "B": "街道把属地责任全部推给社区，社区干部只能被动应付各类检查。",
    "C": "每周要填报三张表格，数据重复报送，基层干部疲于应付。",
    "D": "一些县市陪会现象依然存在，没有庄稼地的街道也要参加秸秆焚烧会议。",
    "E": "督查检查考核过多过频，迎检材料要求全部打印装订成册。",
    "F": "要求每天在APP打卡、微信群接龙，留痕主义严重，Excel表格反复修改。",
    "G": "村里的网格员同时负责安全生产和环境卫生，属地与部门职责不清。",
}
SUGGESTIONS = {"B", "G"}
ALL = set(TEXTS)

EXPECTED = {
    # a long compound typed as one word finds the texts where jieba kept it whole
    "属地管理": {"A"},
    # two-character words inside compounds (属地管理, 属地责任, 督查检查考核, 基层干部)
    "属地": {"A", "B", "G"},
    "检查": {"B", "E"},
    "干部": {"B", "C"},
    "基层干部": {"C"},
    # several tokens: all must match
    "社区 责任": {"B"},
    "责任": {"A", "B"},
    "重复报送": {"C"},
    "应付": {"B", "C"},
    # punctuation, full width and case do not matter
    "表格，报送！": {"C"},
    "APP 打卡": {"F"},
    "ＡＰＰ": {"F"},
    "EXCEL": {"F"},
    "表格": {"C", "F"},
    # query syntax of either database is plain words here
    '"陪会"': {"D"},
    '"陪会" OR 1=1': set(),
    "陪会 AND 会议": set(),
    "陪会*": {"D"},
    "tokens:陪会": set(),
    "NEAR(": set(),
    "NEAR(陪会 会议)": set(),
    "'; DROP TABLE feedback; --": set(),
    # no hits
    "垃圾分类": set(),
    # no tokens: no search filter
    "": ALL,
    "   ": ALL,
    "'": ALL,
    "，。！？": ALL,
    "的": ALL,
}

# Odd inputs checked against the reference model (a text matches when its tokens include all
# of the query's): no database error, and the same answer on both databases.
ODD_QUERIES = [
    '"',
    '""',
    "(",
    ")",
    "*",
    "^陪会",
    "陪会:*",
    "陪会 & 会议 | !",
    "\\",
    "%",
    "_",
    "陪会'",
    "e\"x'y",
    "-陪会",
    "陪会 -会议",
    "{陪会}",
    "陪会 NOT 会议",
    "陪会 + 会议",
    "col:陪会",
    "a.b",
    "1.5万元",
    "C++",
    "x_y",
    "①②",
    "Ⅻ",
    "µ",
    "café",
    "陪\x00会",
    "会议" * 200,
    "a" * 200,
]


@pytest.fixture
def submitted(seeded, client, mp_login, db) -> dict[str, int]:
    """Submit every text through the mini-program API (one cadre each); label -> feedback id."""
    ids: dict[str, int] = {}
    for label, content in TEXTS.items():
        kind = "suggestion" if label in SUGGESTIONS else "problem"
        reply = client.post("/api/mp/v1/feedback", json={"kind": kind, "content": content}, headers=mp_login())
        assert reply.status_code == 201, reply.get_json()
        ids[label] = db.session.scalar(select(Feedback.id).where(Feedback.content == content))
    return ids


def _found(ids: dict[str, int], query: str | None) -> set[str]:
    labels = {v: k for k, v in ids.items()}
    return {labels[i] for i in _db.session.scalars(apply_search(select(Feedback.id), query))}


def _index_table(db) -> str:
    return "feedback_search" if db.engine.dialect.name == "postgresql" else "feedback_fts"


def _index_count(db) -> int:
    return db.session.scalar(text(f"SELECT count(*) FROM {_index_table(db)}"))


def test_queries_find_the_same_texts_on_every_database(submitted):
    found = {query: _found(submitted, query) for query in EXPECTED}
    assert found == EXPECTED


def test_the_merge_job_merges_what_submissions_left_and_every_search_finds_the_same(submitted, db):
    """Submissions leave merging the SQLite index to the search-merge job (issue 12): after seven
    submissions it has work, after its run none, and no search result changes."""
    first = runner.run_job("search-merge")
    assert first.outcome == "success", first.error
    if db.engine.dialect.name == "sqlite":
        config = dict(db.session.execute(text("SELECT k, v FROM feedback_fts_config")).all())
        assert (config["automerge"], config["crisismerge"]) == (0, 64)  # a submission's commit merges nothing
        assert first.counts["merge_steps"] >= 1
    else:  # nothing to merge: the GIN index's pending list is autovacuum's
        assert first.counts["merge_steps"] == 0
    assert first.counts["merge_done"] == 1
    assert {query: _found(submitted, query) for query in EXPECTED} == EXPECTED
    again = runner.run_job("search-merge")
    assert again.counts == {"merge_steps": 0, "merge_done": 1}


def test_odd_queries_follow_the_token_model(submitted):
    tokens = {label: set(search_tokens(content)) for label, content in TEXTS.items()}
    for query in ODD_QUERIES:
        wanted = set(query_tokens(query))
        expected = {label for label, have in tokens.items() if wanted <= have}
        assert _found(submitted, query) == expected, query


def test_none_query_and_clause_shape(submitted):
    assert matching_ids_clause(None) is None and matching_ids_clause(" ，") is None
    assert _found(submitted, None) == ALL


def test_search_combines_with_other_filters_and_pagination(submitted, db):
    stmt = select(Feedback.id).where(Feedback.kind == "suggestion").order_by(Feedback.id)
    assert list(db.session.scalars(apply_search(stmt, "属地"))) == sorted([submitted["B"], submitted["G"]])
    assert list(db.session.scalars(apply_search(stmt.limit(1), "属地"))) == [submitted["B"]]
    assert list(db.session.scalars(apply_search(stmt, "属地管理"))) == []
    clause = matching_ids_clause("干部")
    assert set(db.session.scalars(select(Feedback.id).where(clause, Feedback.kind == "problem"))) == {submitted["C"]}


def test_submission_writes_its_index_row(submitted, db):
    if db.engine.dialect.name == "postgresql":  # the lexemes alone, without positions
        stored = db.session.scalar(
            text("SELECT array_to_string(tsvector_to_array(vector), ' ') FROM feedback_search WHERE feedback_id = :id"),
            {"id": submitted["A"]},
        )
        assert db.session.scalar(text("SELECT bool_and(vector = strip(vector)) FROM feedback_search"))
        assert sorted(stored.split(" ")) == sorted(search_tokens(TEXTS["A"]))
    else:
        stored = db.session.scalar(text("SELECT tokens FROM feedback_fts WHERE rowid = :id"), {"id": submitted["A"]})
        assert stored.split(" ") == search_tokens(TEXTS["A"])
    assert "属地管理" in stored.split(" ") and "的" not in stored.split(" ")
    assert _index_count(db) == len(TEXTS)


def test_index_feedback_replaces_the_row(submitted, db):
    index_feedback(submitted["D"], "这份反映后来补充说明了填报表格的问题")
    db.session.commit()
    assert _index_count(db) == len(TEXTS)
    assert _found(submitted, "陪会") == set()
    assert _found(submitted, "表格") == {"C", "D", "F"}


def test_reindex_all_restores_a_lost_index(submitted, db):
    db.session.execute(text(f"DELETE FROM {_index_table(db)}"))
    db.session.commit()
    assert _found(submitted, "属地") == set()
    batches: list[int] = []
    assert reindex_all(batch=3, on_batch=batches.append) == len(TEXTS)
    db.session.commit()
    assert batches == [3, 6, 7]
    assert _found(submitted, "属地") == {"A", "B", "G"}
    assert _index_count(db) == len(TEXTS)


def test_cli_reindex_commits(submitted, db, runner):
    db.session.execute(text(f"DELETE FROM {_index_table(db)}"))
    db.session.commit()
    result = runner.invoke(args=["search", "reindex", "--batch", "4"])
    assert result.exit_code == 0, result.output
    assert "共 7 条" in result.output
    db.session.rollback()  # only what the command committed is visible
    assert _found(submitted, "属地管理") == {"A"}


def test_index_rows_go_with_their_feedback(submitted, db):
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()
    assert _index_count(db) == 0


def test_every_letter_is_one_word_in_the_database(app, db):
    """Every token character the app can emit is kept as exactly one unchanged word by this
    database's tokenizer, so the index and the query mean the same on SQLite and PostgreSQL."""
    docs = []
    for code in [*range(0x20, 0xD800), *range(0xE000, 0x40000)]:
        pieces = list(_pieces(chr(code)))
        if pieces:
            docs.append((code, pieces))
    assert len(docs) > 100_000
    if db.engine.dialect.name == "postgresql":
        rows = db.session.execute(
            text(
                "SELECT d.ord, array(SELECT lexeme FROM unnest(to_tsvector('simple'::regconfig, d.s)) ORDER BY 1) "
                "FROM unnest(CAST(:docs AS text[])) WITH ORDINALITY AS d(s, ord)"
            ),
            {"docs": [" ".join(p) for _, p in docs]},
        ).all()
        got = {ord_ - 1: sorted(lexemes) for ord_, lexemes in rows}
    else:
        ddl = db.session.scalar(text("SELECT sql FROM sqlite_master WHERE name = 'feedback_fts'"))
        tokenize = re.search(r"tokenize\s*=\s*'([^']*)'", ddl).group(1)
        db.session.execute(text(f"CREATE VIRTUAL TABLE temp.fts_probe USING fts5(tokens, tokenize = '{tokenize}')"))
        db.session.execute(text("CREATE VIRTUAL TABLE temp.fts_probe_vocab USING fts5vocab(temp, fts_probe, instance)"))
        db.session.execute(
            text("INSERT INTO temp.fts_probe (rowid, tokens) VALUES (:id, :tokens)"),
            [{"id": i, "tokens": " ".join(p)} for i, (_, p) in enumerate(docs)],
        )
        got = {}
        for doc, term in db.session.execute(text("SELECT doc, term FROM temp.fts_probe_vocab")):
            got.setdefault(doc, []).append(term)
        got = {k: sorted(v) for k, v in got.items()}
        db.session.rollback()
        db.session.execute(text("DROP TABLE temp.fts_probe_vocab"))
        db.session.execute(text("DROP TABLE temp.fts_probe"))
        db.session.commit()
    wrong = [hex(code) for i, (code, pieces) in enumerate(docs) if got.get(i) != sorted(pieces)]
    assert wrong == []


WHOLE_WORDS = {
    "X": "基层反映指尖上的形式主义依然突出，嵩阳镇尤其明显。",
    "Y": "各类政务APP要求每天登录签到，Excel表格反复报送。",
    "Z": "会议太多，陪会耗费大量时间。",
}


def test_a_word_inside_a_longer_word_is_found(seeded, client, mp_login, db):
    """形式主义 inside 指尖上的形式主义, APP inside 政务APP: what a person types is found."""
    ids = {}
    for label, content in WHOLE_WORDS.items():
        reply = client.post("/api/mp/v1/feedback", json={"kind": "problem", "content": content}, headers=mp_login())
        assert reply.status_code == 201, reply.get_json()
        ids[label] = db.session.scalar(select(Feedback.id).where(Feedback.content == content))
    for query, expected in {
        "形式主义": {"X"},
        "主义": {"X"},
        "指尖上的形式主义": {"X"},
        "APP": {"Y"},
        "app": {"Y"},
        "政务": {"Y"},
        "政务APP": {"Y"},
        "嵩阳": {"X"},
        "报送": {"Y"},
        "excel表格": {"Y"},
        "会议": {"Z"},
        "形式主义 会议": set(),
        "APPS": set(),
    }.items():
        assert _found(ids, query) == expected, query

    # Every stretch of a text, as a person might copy it into the search box, finds that text
    # (Latin words are whole words: "PP" is not a word of "APP").
    def cuts_a_latin_word(text: str, at: int) -> bool:
        return 0 < at < len(text) and (text[at - 1] + text[at]).isascii() and (text[at - 1] + text[at]).isalnum()

    for label, content in WHOLE_WORDS.items():
        for size in (2, 3, 4, 6):
            for start in range(len(content) - size + 1):
                query = content[start : start + size]
                if query_tokens(query) and not (
                    cuts_a_latin_word(content, start) or cuts_a_latin_word(content, start + size)
                ):
                    assert label in _found(ids, query), query
