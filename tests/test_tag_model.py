"""The tagger's learned layer: training, the model file, pure-Python scoring and how it combines
with the rules. Sentences are written for these tests; training runs scikit-learn for real.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from feedback import tag_eval, tag_train
from feedback.tag_model import ModelError, TagModel, features
from feedback.tagging import Tagger, Taxonomy

ROOT = Path(__file__).resolve().parents[1]
TAXONOMY = ROOT / "config" / "taxonomy.yaml"
USERDICT = ROOT / "config" / "userdict.txt"
SHIPPED = ROOT / "config" / "tagger_model.json"

# A phrasing of 陪会 the rules do not know ("当观众"), said in several sources, and statements
# about other things that share its everyday words.
NEW_PHRASE = [
    ("乡里又叫我们去县城当观众，坐了一上午。", ["陪会"], "a"),
    ("这周第三次被拉去当观众，村里的活都停了。", ["陪会"], "b"),
    ("领导讲话时我们在台下当观众，和我们的工作无关。", ["陪会"], "c"),
    ("村干部整天被拉去当观众，群众找人找不到。", ["陪会"], "d"),
    ("各种活动都喊社区干部去当观众撑人气。", ["陪会"], "e"),
    ("今天上午去县城给孩子买了书，坐了一上午车。", ["其他"], "f"),
    ("村里的活停了两天，因为下大雨。", ["其他"], "g"),
    ("周末和家人去看了一场电影，当了一回观众。", ["其他"], "h"),
    ("社区组织居民文艺演出，邻居们都来捧场。", ["其他"], "i"),
    ("镇里今年修了三条路，群众很满意。", ["其他"], "j"),
    ("一年签了二十多份责任状，出了事还得乡镇兜底。", ["属地甩锅"], "k"),
    ("各部门的活最后都压到村里，我们有责无权。", ["属地甩锅"], "l"),
]


def records(rows=NEW_PHRASE) -> list[dict]:
    return [{"text": text, "tags": tags, "source_url": f"https://example.test/{source}"} for text, tags, source in rows]


@pytest.fixture(scope="module")
def rules() -> Tagger:
    return Tagger(Taxonomy.load(TAXONOMY), USERDICT)


@pytest.fixture(scope="module")
def trained(rules) -> TagModel:
    examples = tag_train.examples_from_records(records(), rules.taxonomy)
    return tag_train.fit(rules.taxonomy, examples, tag_train.vectorise(rules, examples), c=10.0, threshold=0.6)


def test_the_learned_layer_tags_a_phrasing_the_rules_miss_and_names_the_words(rules, trained):
    text = "昨天又被叫去当观众，一坐就是半天。"
    assert "peihui" not in {h.code for h in rules.tag(text)}
    with_model = Tagger(rules.taxonomy, USERDICT, model=trained)
    hit = next(h for h in with_model.tag(text) if h.code == "peihui")
    assert hit.matched == () and "观众" in "".join(hit.learned)
    assert all(word in text for word in hit.learned)
    assert with_model.version == f"rules-{rules.taxonomy.version}+{trained.version}"


def test_rules_stay_the_main_control(rules, trained):
    with_model = Tagger(rules.taxonomy, USERDICT, model=trained)
    for text in ("一年签了二十多份责任状，出了事还得乡镇兜底。", "每次入户走访都要拍照留痕，还得上传备查。"):
        assert {h.code for h in rules.tag(text)} <= {h.code for h in with_model.tag(text)}
    assert with_model.tag("今年会议明显减少，减负效果很好。") == []


def test_a_word_from_a_single_source_is_not_learned(rules):
    rows = NEW_PHRASE + [("开会开到头昏脑胀，真是磨洋工会。", ["陪会"], "z")]
    examples = tag_train.examples_from_records(records(rows), rules.taxonomy)
    model = tag_train.fit(rules.taxonomy, examples, tag_train.vectorise(rules, examples))
    names = {name for weights in model.tags.values() for name in weights.weights}
    assert "c:观众" in names  # five sources
    assert not any("磨洋工" in name for name in names)  # one source: memorising


def test_training_is_deterministic_and_the_file_round_trips(rules, trained, tmp_path):
    examples = tag_train.examples_from_records(records(), rules.taxonomy)
    again = tag_train.fit(rules.taxonomy, examples, tag_train.vectorise(rules, examples), c=10.0, threshold=0.6)
    assert again.to_dict()["tags"] == trained.to_dict()["tags"] and again.version == trained.version
    for name in ("model.json", "model.json.gz"):
        trained.save(tmp_path / name)
        loaded = TagModel.load(tmp_path / name)
        assert loaded.to_dict() == trained.to_dict()
        vector = features("被叫去当观众", ["被", "叫", "去", "当", "观众"], {"peihui": 0.3})
        assert loaded.probabilities(vector) == pytest.approx(trained.probabilities(vector))


def test_medium_labels_are_left_out_of_that_tags_training(rules):
    examples = tag_train.examples_from_records(
        [{"text": "上面来人要陪同检查。", "tags": ["陪会", "督检考"], "confidence": {"督检考": "medium"}}],
        rules.taxonomy,
    )
    assert examples[0].labels == {"peihui"} and examples[0].unsure == {"dujiankao"}


def test_probability_matches_a_hand_computed_dot_product():
    model = TagModel.from_dict(
        {
            "format": 1,
            "version": "m",
            "tags": {"peihui": {"bias": -1.0, "threshold": 0.8, "weights": {"w:观众": 2.0, "r:peihui": 3.0}}},
        }
    )
    vector = {"w:观众": 0.5, "c:观众": 0.5, "r:peihui": 0.2}
    import math

    assert model.probabilities(vector)["peihui"] == pytest.approx(1 / (1 + math.exp(-(-1.0 + 1.0 + 0.6))))
    assert model.tags["peihui"].evidence(vector) == [("观众", 1.0)]


@pytest.mark.parametrize(
    "content, fragment",
    [
        ("not json", "not a model file"),
        (json.dumps({"format": 99}), "unsupported model format"),
        (json.dumps({"format": 1, "version": "x", "tags": {"peihui": {"bias": 0}}}), "malformed"),
    ],
)
def test_a_broken_model_file_is_a_model_error(tmp_path, content, fragment):
    path = tmp_path / "model.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ModelError, match=fragment):
        TagModel.load(path)


@pytest.mark.subprocess
def test_a_worker_scores_with_the_shipped_model_without_numpy_or_scikit_learn():
    code = (
        "import sys; from feedback.tagging import Tagger, Taxonomy; from feedback.tag_model import TagModel;"
        f"t = Tagger(Taxonomy.load({str(TAXONOMY)!r}), {str(USERDICT)!r}, model=TagModel.load({str(SHIPPED)!r}));"
        "hits = t.tag('上面一个电话，下面跑断腿，一周五天有三天在会上。');"
        "print(sorted(h.code for h in hits), t.version.startswith('rules-'),"
        " [m for m in ('sklearn', 'numpy', 'scipy') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['peihui', 'shudi'] True []"


def test_folds_hold_out_whole_sources(rules):
    examples = tag_train.examples_from_records(records(), rules.taxonomy)
    examples[1].group = examples[0].group
    for k in (None, 3):
        folds = tag_train.folds_by_group(examples, k)
        assert sorted(i for f in folds for i in f) == list(range(len(examples)))
        for fold in folds:
            held = {examples[i].group for i in fold}
            assert not any(examples[i].group in held for f in folds if f is not fold for i in f)


def test_eval_script_reports_resubstitution_and_leave_source_out_and_prints_the_misses(tmp_path, capsys):
    data = tmp_path / "labelled.jsonl"
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records()) + "\n", encoding="utf-8")
    assert (
        tag_eval.main(
            [
                str(data),
                "--taxonomy",
                str(TAXONOMY),
                "--userdict",
                str(USERDICT),
                "--model",
                str(tmp_path / "none.json"),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "== 回代" in out and "留一来源，12 折" in out and "== 标错的条目 ==" in out
    # the rules alone miss the new phrasing, and the statement is shown with what was missed
    assert "[漏标 陪会] 乡里又叫我们去县城当观众" in out


def _sources(unseen: bool, n: int) -> list[str]:
    """Source addresses that tag_eval does (or does not) keep out of rule writing."""
    urls = (f"https://example.test/source-{i}" for i in range(1000))
    return [u for u in urls if tag_eval.unseen_source({"source_url": u}) == unseen][:n]


def test_the_lower_bound_switches_off_a_rule_the_training_sources_do_not_back(rules):
    # 陪检 is a 陪会 rule; sources a and b say it, x is about something else
    rows = [
        ("今天又要陪检，一天都耗进去了。", ["陪会"], "a"),
        ("镇里今年修了三条路，群众很满意。", ["其他"], "x"),
        ("下午要陪检，村里的事又放下了。", ["陪会"], "b"),
    ]
    examples = tag_train.examples_from_records(records(rows), rules.taxonomy)

    def found(**kwargs) -> list[bool]:
        return ["peihui" in p for p in tag_train.cross_validate(rules, examples, k=None, **kwargs)]

    assert found() == [True, False, True]  # the rules as they are
    assert found(min_rule_sources=1) == [True, False, True]  # a and b back each other
    assert found(min_rule_sources=2) == [False, False, False]  # one backing source is not enough


def test_eval_script_reports_the_unseen_sources_apart_and_never_lists_their_statements(tmp_path, capsys):
    seen, unseen = _sources(False, 2), _sources(True, 2)
    rows = [
        {"text": "乡里又叫我们去当观众，坐了一上午。", "tags": ["陪会"], "source_url": seen[0]},
        {"text": "今年会议明显减少，减负效果很好。", "tags": ["其他"], "source_url": seen[1]},
        {"text": "村干部整天被拉去当观众，群众找人找不到。", "tags": ["陪会"], "source_url": unseen[0]},
        {"text": "镇里今年修了三条路，群众很满意。", "tags": ["其他"], "source_url": unseen[1]},
    ]
    data = tmp_path / "labelled.jsonl"
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    args = [str(data), "--taxonomy", str(TAXONOMY), "--userdict", str(USERDICT), "--model", str(tmp_path / "x")]
    assert tag_eval.main(args) == 0
    out = capsys.readouterr().out
    assert "写规则时从未读过的 2 个来源（2 条）" in out and "== 下限" in out
    assert "[漏标 陪会] 乡里又叫我们去当观众" in out
    assert "村干部整天被拉去当观众" not in out  # missed too, but from a source kept out of rule writing
    assert "另有 2 条来自写规则时不读的来源" in out


def _praise_taxonomy() -> Taxonomy:
    """One tag and one praise term (喜报) that damps the sentence it is in."""
    return Taxonomy.from_dict(
        {
            "version": "t",
            "modifiers": {"praise": {"factor": 0.1, "terms": ["喜报"]}},
            "tags": [{"code": "peihui", "name": "陪会", "description": "陪会", "terms": {"陪会": 0.9}}],
        }
    )


def test_the_damper_lower_bound_drops_a_damper_only_the_held_out_source_backs():
    tagger = Tagger(_praise_taxonomy(), USERDICT)
    rows = [
        ("喜报：今年陪会少了一半。", ["其他"], "a"),
        ("天天陪会，受不了。", ["陪会"], "c"),
    ]
    examples = tag_train.examples_from_records(records(rows), tagger.taxonomy)
    assert tagger.tag(rows[0][0]) == []  # the shipped damper keeps the praise untagged
    # ... but only source a uses it, so in a's own fold it is as if never written
    assert tag_train.cross_validate_dampers(tagger, examples) == [{"peihui"}, {"peihui"}]
    # a second source that needed it backs it for the first
    rows.append(("喜报传来，陪会明显减少。", ["其他"], "b"))
    examples = tag_train.examples_from_records(records(rows), tagger.taxonomy)
    assert tag_train.cross_validate_dampers(tagger, examples) == [set(), {"peihui"}, set()]


def test_eval_script_prints_the_damper_bound_and_each_rules_sources(tmp_path, capsys):
    seen = _sources(False, 3)
    rows = [
        {"text": "天天陪检，村里的事都放下了。", "tags": ["陪会"], "source_url": seen[0]},
        {"text": "下午又要陪检，一天都耗进去了。", "tags": ["陪会"], "source_url": seen[1]},
        {"text": "今年会议明显减少，减负效果很好。", "tags": ["其他"], "source_url": seen[2]},
    ]
    data = tmp_path / "labelled.jsonl"
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    args = [str(data), "--taxonomy", str(TAXONOMY), "--userdict", str(USERDICT), "--model", str(tmp_path / "x")]
    assert tag_eval.main([*args, "--rules"]) == 0
    out = capsys.readouterr().out
    assert "== 降权项下限" in out and "== 每条规则的来源支持" in out
    line = next(row for row in out.splitlines() if row.endswith("  陪检"))
    assert line.split()[3:5] == ["2", "0"]  # correct in two sources, false in none
