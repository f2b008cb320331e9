"""The burden tagger against the real config files, with sentences written for these tests.

No conftest fixtures: the tagger is a pure domain module and these tests build it directly.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from feedback import tag_eval
from feedback.tagging import Tagger, TagHit, Taxonomy, TaxonomyError

ROOT = Path(__file__).resolve().parents[1]
TAXONOMY = ROOT / "config" / "taxonomy.yaml"
USERDICT = ROOT / "config" / "userdict.txt"
CODES = {"peihui", "liuhen", "jiediao", "shudi", "dujiankao", "tianbao", "zhijian", "wenze", "wenshan"}


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger(Taxonomy.load(TAXONOMY), USERDICT)


def codes(tagger: Tagger, text: str) -> set[str]:
    return {hit.code for hit in tagger.tag(text)}


# --- the taxonomy file -------------------------------------------------------------------------


def test_taxonomy_has_the_nine_tags_with_operator_descriptions():
    taxonomy = Taxonomy.load(TAXONOMY)
    assert {t.code for t in taxonomy.tags} == CODES
    assert taxonomy.version
    for tag in taxonomy.tags:
        assert tag.name and tag.aliases
        assert any("\u4e00" <= ch <= "\u9fff" for ch in tag.description)
    assert taxonomy.get("shudi").name == "属地甩锅"
    assert taxonomy.get("nope") is None


@pytest.mark.parametrize(
    "label, code",
    [
        ("peihui", "peihui"),
        ("PEIHUI", "peihui"),
        ("陪会", "peihui"),
        (" 留痕 ", "liuhen"),
        ("文件", "wenshan"),
        ("文山会海", "wenshan"),
        ("督查检查考核", "dujiankao"),
        ("属地管理", "shudi"),
        ("指尖上的形式主义", "zhijian"),
        ("其他", None),
        ("随便", None),
    ],
)
def test_resolve_label_accepts_code_name_and_alias(label, code):
    assert Taxonomy.load(TAXONOMY).resolve_label(label) == code


# --- each tag fires on typical and paraphrased complaints --------------------------------------

POSITIVE = [
    ("peihui", "上周省里来人调研，镇里班子成员全部陪同接待，整整耽误了两天。"),
    ("peihui", "县里开会总让我们去凑人数，坐在台下一句话也插不上。"),
    ("peihui", "上面层层开会，一个通知要开三级会，我们天天泡在会场里。"),
    ("peihui", "不管什么部门的会，都要求乡镇主要领导必须到场，派副职去就说不重视。"),
    ("peihui", "这个月光陪会就陪了十几场，很多会跟我们的工作毫无关系。"),
    ("liuhen", "每次入户走访都要拍照留痕，还得上传到系统里备查。"),
    ("liuhen", "为了迎接检查，全镇干部连续加班补台账、做材料。"),
    ("liuhen", "干得好不如写得好，台账做得漂亮比实事办得好更重要。"),
    ("liuhen", "痕迹管理走了样，一项工作要准备三本台账应付检查。"),
    ("jiediao", "镇里三个年轻人被县直部门抽调走了，一去就是两年，所里只剩我一个人。"),
    ("jiediao", "说是跟班学习，其实就是长期借用我们的干部，在编不在岗。"),
    ("jiediao", "县里各个专班都来借人，我们科室一半人被借调。"),
    ("shudi", "什么事情都以属地管理为名推给乡镇，我们有责无权。"),
    ("shudi", "一年签了二十多份责任状，出了事还得乡镇兜底。"),
    ("shudi", "职能部门把执法检查的任务甩给街道，我们没有执法权却要背锅。"),
    ("shudi", "上面千条线下面一根针，各部门的活最后都压到村里。"),
    ("dujiankao", "各种督查检查考核轮番上阵，一个月迎检五六次。"),
    ("dujiankao", "多头检查、重复检查，这个组刚走那个组又来。"),
    ("dujiankao", "县里搞了个千分制考核，样样都排名，压得人喘不过气。"),
    ("tianbao", "同一组数据，民政要一次，残联又要一次，重复填报没完没了。"),
    ("tianbao", "上午发表格下午就要交，天天当表哥表姐。"),
    ("tianbao", "一个月要填二十多种报表，很多内容都是重复的。"),
    ("zhijian", "手机里有十几个工作群，半夜还要回复收到。"),
    ("zhijian", "每天要在政务APP上打卡签到、刷学习积分。"),
    ("zhijian", "指尖上的形式主义越来越重，工作群里动不动就要截图接龙。"),
    ("wenze", "动辄问责，稍有差错就被通报，干部心里发怵。"),
    ("wenze", "问责泛化，出了事先找基层干部顶缸。"),
    ("wenze", "不管什么原因，出了问题就一问了之。"),
    ("wenshan", "文件一个接一个，以文件落实文件，每天光收文就几十份。"),
    ("wenshan", "文山会海没有减下来，上级文件照抄照搬层层转发。"),
    ("wenshan", "一年收到上级文件四百多份，很多就是转发一下。"),
    # indirect complaints: the burden is described, not named
    ("peihui", "一周五天有三天在会上，村里的事只能晚上干。"),
    ("peihui", "省里开了动员会，市里就得开，县里乡里还得再开一遍。"),
    ("peihui", "镇长一个月有一半时间耗在各种会上。"),
    ("shudi", "上面一个电话，下面跑断腿。"),
    ("shudi", "环保执法本来就不是乡镇的职责，现在全压给了我们。"),
    ("liuhen", "干得好不如写得好，材料比实干还重要。"),
    ("liuhen", "工作还没开始，材料先行，经验总结倒先写好了。"),
    ("wenze", "任务完不成就追责，一点容错的余地都没有。"),
    ("dujiankao", "每个月都要考核一次，考核时间跟农时完全脱节。"),
    ("wenshan", "上级出一个文件，下面就得再出个文件来贯彻落实。"),
]


@pytest.mark.parametrize("code, text", POSITIVE)
def test_tag_fires_on_complaint(tagger, code, text):
    assert code in codes(tagger, text)


def test_every_tag_is_covered_by_the_positive_examples():
    assert {code for code, _ in POSITIVE} == CODES


def test_hits_are_multi_label_sorted_and_explained(tagger):
    text = "迎检材料一摞一摞，比实际工作还多，县里的督查组一个月来了四五拨，还要陪同吃饭。"
    hits = tagger.tag(text)
    assert {"liuhen", "dujiankao"} <= {h.code for h in hits}
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    for hit in hits:
        assert isinstance(hit, TagHit)
        assert 0 < hit.score <= 1 and round(hit.score, 3) == hit.score
        assert hit.matched and all(m in text for m in hit.matched)
        assert hit.name == Taxonomy.load(TAXONOMY).get(hit.code).name
    assert "迎检材料" in next(h for h in hits if h.code == "liuhen").matched


def test_matched_terms_point_into_the_original_text(tagger):
    text = "每天要在政务ＡＰＰ上打卡，要求拍照“留痕”。"
    hits = {h.code: h for h in tagger.tag(text)}
    assert "政务ＡＰＰ" in hits["zhijian"].matched
    assert "拍照“留痕" in hits["liuhen"].matched
    assert all(m in text for h in hits.values() for m in h.matched)


def test_a_short_term_inside_a_longer_one_is_not_counted_twice(tagger):
    hit = next(h for h in tagger.tag("领导要求拍照留痕。") if h.code == "liuhen")
    assert "拍照留痕" in hit.matched and "留痕" not in hit.matched


def test_a_whole_word_term_is_found_in_any_clause_and_never_inside_another_word(tagger):
    # 'w:会' (a meeting, as jieba cuts it) in a clause after the one with the other sign
    assert "peihui" in codes(tagger, "早上接到临时通知，赶回县里，又是一个会。")
    hit = next(h for h in tagger.tag("早上接到临时通知，下午赶回县里开个会。") if h.code == "peihui")
    assert hit.matched == ("临时通知", "会")
    # the same character inside 社会 is not the word 会
    assert "peihui" not in codes(tagger, "早上接到临时通知，下午赶回县里参加社会组织的活动。")


def test_a_whole_word_cue_of_the_dampers_is_looked_for_too():
    data = {
        "version": "t",
        "modifiers": {"mention": {"factor": 0.1, "cues": ["w:治"]}},
        "tags": [{"code": "peihui", "name": "陪会", "description": "陪会", "terms": {"陪会": 0.9}}],
    }
    tagger = Tagger(Taxonomy.from_dict(data), USERDICT)
    assert codes(tagger, "天天陪会，受不了。") == {"peihui"}
    assert codes(tagger, "要治陪会。") == set()


def test_to_dict_is_the_cli_and_api_shape(tagger):
    hit = tagger.tag("基层干部被借调三年还回不来。")[0]
    assert hit.to_dict() == {
        "code": "jiediao",
        "name": "借调",
        "score": hit.score,
        "matched": list(hit.matched),
        "learned": [],
    }


# --- praise, policy talk and mere mentions do not fire ------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "今年会议明显减少，减负效果很好。",
        "今年发文少了三成，大家都说负担减轻了。",
        "镇里今年取消了十几项考核，大家都说松了口气，减负效果明显。",
        "会议强调，要坚决整治文山会海和督检考过多过频问题。",
        "县里严禁随意借调乡镇干部，这个规定很受欢迎。",
        "组织大家学习了《关于解决形式主义突出问题为基层减负的通知》。",
        "本周三下午召开村两委会议，研究秋收工作。",
        "请各村于周五前填写附件表格并报送镇党政办。",
        "这次调研由县委书记带队，乡镇主要负责人参加座谈。",
        "我表哥在县城开了一家饭店。",
        "坚决整治过度留痕。",
        "原则上不得要求乡镇干部陪同检查调研。",
        "采用视频会议形式，避免了乡镇干部疲于奔波参会。",
        "上级三令五申，严禁违规借调基层干部。",
        "他在县医院做了阑尾手术，恢复得不错。",
        "",
        "   ",
    ],
)
def test_praise_policy_and_mere_mentions_do_not_fire(tagger, text):
    assert tagger.tag(text) == []


def test_praise_damper_is_lifted_when_the_sentence_says_it_did_not_work(tagger):
    assert "peihui" in codes(tagger, "说是要精简会议，但会议反而越来越多，一周开了五六个会。")


def test_threshold_can_be_raised_per_tagger():
    strict = Tagger(Taxonomy.load(TAXONOMY), USERDICT, threshold=0.99)
    assert strict.tag("一年签了二十多份责任状，出了事还得乡镇兜底。") == []


# --- jieba: private, lazy, thread-safe ----------------------------------------------------------


@pytest.mark.subprocess
def test_importing_the_module_does_not_load_jieba():
    code = "import sys, feedback.tagging; print('jieba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_tokenizer_is_private_lazy_and_loads_the_user_dictionary():
    fresh = Tagger(Taxonomy.load(TAXONOMY), USERDICT)
    assert fresh._tokenizer is None
    words = fresh.segment("属地管理成了甩锅工具，还有指尖上的形式主义和跟班学习")
    assert {"属地管理", "甩锅", "指尖上的形式主义", "跟班学习"} <= set(words)
    assert "，" not in words
    import jieba

    assert "指尖上的形式主义" not in jieba.dt.FREQ


def test_concurrent_first_use_gives_the_same_answers():
    fresh = Tagger(Taxonomy.load(TAXONOMY), USERDICT)
    texts = [text for _, text in POSITIVE]
    results: list[list[set[str]]] = []

    def work() -> None:
        results.append([codes(fresh, text) for text in texts])

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 6 and all(r == results[0] for r in results)


def test_keywords_returns_the_salient_words(tagger):
    words = tagger.keywords("属地管理成了甩锅工具，属地管理必须规范，陪会和留痕也是负担", top_k=3)
    assert len(words) == 3 and "属地管理" in words


def test_missing_user_dictionary_is_reported_at_construction(tmp_path):
    with pytest.raises(FileNotFoundError):
        Tagger(Taxonomy.load(TAXONOMY), tmp_path / "missing.txt")


# --- a bad taxonomy file ------------------------------------------------------------------------

GOOD_TAG = "  - {code: demo, name: 演示, description: 演示标签, terms: {演示: 0.9}}\n"


@pytest.mark.parametrize(
    "body, fragment",
    [
        ("version: 1\ntags: [\n", "invalid YAML"),
        ("- just a list\n", "top level"),
        ("tags:\n" + GOOD_TAG, "version"),
        ("version: 1\ntags: []\n", "tags"),
        ("version: 1\ntags:\n  - {code: Demo, name: 演示, description: 说明, terms: {演示: 0.9}}\n", "code"),
        ("version: 1\ntags:\n  - {code: demo, name: 演示, terms: {演示: 0.9}}\n", "description"),
        ("version: 1\ntags:\n  - {code: demo, name: 演示, description: 说明, terms: {演示: 1.5}}\n", "(0, 1]"),
        (
            "version: 1\ntags:\n  - {code: demo, name: 演示, description: 说明, terms: {'re:(': 0.5}}\n",
            "regular expression",
        ),
        ("version: 1\ntags:\n  - {code: demo, name: 演示, description: 说明}\n", "term or pattern"),
        (
            "version: 1\ntags:\n  - {code: demo, name: 演示, description: 说明, "
            "patterns: [{all: [[a]], within: page}]}\n",
            "within",
        ),
        ("version: 1\ntags:\n" + GOOD_TAG + GOOD_TAG, "duplicate"),
        (
            "version: 1\ntags:\n" + GOOD_TAG + "  - {code: other, name: 演示, description: 说明, terms: {x: 0.9}}\n",
            "two tags",
        ),
        ("version: 1\nmodifiers: {mention: {gap: many}}\ntags:\n" + GOOD_TAG, "gap"),
        ("version: 1\nmodifiers: {mention: {after: {gap: -1}}}\ntags:\n" + GOOD_TAG, "after.gap"),
    ],
)
def test_bad_taxonomy_raises_taxonomy_error(tmp_path, body, fragment):
    path = tmp_path / "taxonomy.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(TaxonomyError) as info:
        Taxonomy.load(path)
    assert isinstance(info.value, ValueError)
    assert str(path) in str(info.value) and fragment in str(info.value)


def test_missing_taxonomy_file_raises_taxonomy_error(tmp_path):
    with pytest.raises(TaxonomyError, match="cannot read"):
        Taxonomy.load(tmp_path / "nope.yaml")


# --- evaluation: the medium-confidence rule -----------------------------------------------------


class _FixedTagger:
    """Predicts fixed codes per text, so the counting rules are tested on their own."""

    def __init__(self, predictions: dict[str, set[str]]) -> None:
        self.taxonomy = Taxonomy.load(TAXONOMY)
        self.predictions = predictions

    def tag(self, text: str) -> list[TagHit]:
        return [TagHit(code, self.taxonomy.get(code).name, 0.9, ()) for code in self.predictions[text]]


def test_evaluate_skips_medium_labels_for_that_tag_only():
    records = [
        {"text": "a", "tags": ["陪会"], "confidence": {"陪会": "high"}},
        {"text": "b", "tags": ["陪会", "督检考"], "confidence": {"陪会": "high", "督检考": "medium"}},
        {"text": "c", "tags": ["督检考"], "confidence": {"督检考": "medium"}},
        {"text": "d", "tags": ["文件"], "confidence": {"文件": "high"}},
        {"text": "e", "tags": ["其他"], "confidence": {"其他": "high"}},
        {"text": "f", "tags": ["其他"]},
        {"text": "g", "tags": ["其他"], "confidence": {"其他": "medium"}},
    ]
    fake = _FixedTagger(
        {
            "a": {"peihui"},
            "b": {"peihui", "dujiankao"},
            "c": set(),
            "d": set(),
            "e": {"liuhen"},
            "f": set(),
            "g": {"zhijian"},
        }
    )
    report = tag_eval.evaluate(fake, records)
    score = {s.code: s for s in report.scores}
    assert (score["peihui"].tp, score["peihui"].fp, score["peihui"].fn) == (2, 0, 0)
    assert (score["dujiankao"].tp, score["dujiankao"].fp, score["dujiankao"].fn) == (0, 0, 0)
    assert score["dujiankao"].skipped == 2
    assert (score["wenshan"].tp, score["wenshan"].fn) == (0, 1)
    assert (score["liuhen"].fp, score["zhijian"].fp) == (1, 1)
    assert (report.other_items, report.other_tagged) == (2, 1) and report.other_share == 0.5
    # peihui 1, liuhen 0, jiediao and shudi have nothing to find or miss: 1 each.
    assert report.core_macro_f1 == pytest.approx(0.75)
    assert report.records == 7


def test_evaluate_reports_unknown_labels():
    report = tag_eval.evaluate(_FixedTagger({"x": set()}), [{"text": "x", "tags": ["不存在的标签"]}])
    assert report.unknown_labels == ("不存在的标签",)


def test_eval_script_prints_the_table(tmp_path, capsys):
    data = tmp_path / "labelled.jsonl"
    rows = [{"text": text, "tags": [Taxonomy.load(TAXONOMY).get(code).name]} for code, text in POSITIVE]
    rows.append({"text": "今年会议明显减少，减负效果很好。", "tags": ["其他"]})
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    assert tag_eval.main([str(data), "--taxonomy", str(TAXONOMY), "--userdict", str(USERDICT)]) == 0
    out = capsys.readouterr().out
    assert "macro-F1" in out and "peihui" in out and "0/1" in out


def test_eval_script_rejects_broken_input(tmp_path, capsys):
    data = tmp_path / "broken.jsonl"
    data.write_text('{"text": "ok", "tags": []}\n{not json\n', encoding="utf-8")
    assert tag_eval.main([str(data), "--taxonomy", str(TAXONOMY), "--userdict", str(USERDICT)]) == 2
    assert "第 2 行" in capsys.readouterr().err


# --- the Flask CLI commands, through the real application ---------------------------------------


def test_tag_command_writes_one_json_line_per_text(runner):
    result = runner.invoke(args=["tag"], input="一年签了二十多份责任状。\n\n今天天气不错。\n")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["text"] for line in lines] == ["一年签了二十多份责任状。", "今天天气不错。"]
    assert lines[0]["tags"][0]["code"] == "shudi" and lines[0]["tags"][0]["matched"]
    assert lines[1]["tags"] == []
    assert "属地甩锅" in result.output  # ensure_ascii=False


def test_tag_eval_command_prints_the_report(runner, tmp_path):
    data = tmp_path / "labelled.jsonl"
    data.write_text(
        json.dumps({"text": "基层干部被借调三年。", "tags": ["借调"]}, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    result = runner.invoke(args=["tag-eval", str(data)])
    assert result.exit_code == 0, result.output
    assert "jiediao" in result.output and "macro-F1" in result.output
