"""The compact IDF table answers exactly what jieba's file says, from the file and from its cache."""

from __future__ import annotations

import os
import tempfile

import jieba
import pytest

from feedback.idf_table import IdfTable

JIEBA_IDF = os.path.join(os.path.dirname(jieba.__file__), "analyse", "idf.txt")


@pytest.fixture
def own_temp(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def _as_dict(path: str) -> dict[str, float]:
    with open(path, encoding="utf-8") as fh:
        return {w: float(f) for w, f in (ln.split() for ln in fh if ln.strip())}


def test_every_word_of_jiebas_table_has_its_value_and_the_same_median(own_temp):
    expected = _as_dict(JIEBA_IDF)
    built, cached = IdfTable.from_file(JIEBA_IDF), IdfTable.from_file(JIEBA_IDF)
    assert len(list(own_temp.glob("feedback-idf-*.bin"))) == 1
    median = sorted(expected.values())[len(expected) // 2]
    for table in (built, cached):
        assert len(table) == len(expected) and table.median == median
        assert all(table.get(w, -1.0) == v for w, v in list(expected.items())[::37])
        assert table.get("这个词不在表里", -1.0) == -1.0 and table.get("", -1.0) == -1.0


def test_a_repeated_word_keeps_its_last_value_and_a_broken_cache_is_rebuilt(own_temp):
    source = own_temp / "idf.txt"
    source.write_text("属地 9.5\n陪会 11.25\n\n留痕 7.0\n属地 8.0\n", encoding="utf-8")
    first = IdfTable.from_file(str(source))
    assert [first.get(w, 0.0) for w in ("属地", "陪会", "留痕", "管理")] == [8.0, 11.25, 7.0, 0.0]
    assert first.median == 8.0
    (cache,) = own_temp.glob("feedback-idf-*.bin")
    cache.write_bytes(cache.read_bytes()[:-5])
    again = IdfTable.from_file(str(source))
    assert [again.get(w, 0.0) for w in ("属地", "陪会", "留痕")] == [8.0, 11.25, 7.0]
    assert IdfTable.from_file(str(source)).get("陪会", 0.0) == 11.25  # the rewritten cache


def test_a_word_asked_again_gets_the_same_answer_and_an_unknown_word_the_default_given_each_time():
    table = IdfTable.from_entries({"属地".encode(): 9.5, "陪会".encode(): 11.25})
    for _ in range(2):  # the second round is answered from the remembered words
        assert table.get("属地", 0.0) == 9.5 and table.get("陪会", -1.0) == 11.25
    assert table.get("留痕", 1.0) == 1.0 and table.get("留痕", 2.0) == 2.0
