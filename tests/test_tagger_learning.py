"""The tagger learns from the org department's corrections, through the real APIs and commands.

A cadre submits through the mini-program API, triage corrects tags through the staff API, and
`flask tagger suggest` / `flask tagger train` and the admin view read those corrections from the
database. Sentences are written for these tests.
"""

from __future__ import annotations

import json

import pytest

from feedback.models import Event
from feedback.services.admin.tagger import get_tagger
from feedback.tag_model import TagModel
from feedback.tagging import Tagger
from tests.support.api import ok

MP = "/api/mp/v1"
STAFF = "/api/staff/v1"
# 陪会 said in a way the rules do not know: triage adds the tag by hand.
BENCH = [
    "县里开会又让我们去坐冷板凳，一坐就是一上午。",
    "乡里开会又把村干部叫去坐冷板凳，地里的活没人干。",
    "市里的会总要我们去坐冷板凳，讲的事跟村里不相干。",
]
# 迎来送往 said of a business, not of cadres: triage removes the automatic 陪会.
TRADE = [
    "这家酒店专做迎来送往的生意，我们村的土特产也在那里卖。",
    "车站每天迎来送往，村里的客运班车又加了两趟。",
    "码头上迎来送往的游客多了，村民的农家乐生意好起来了。",
]


@pytest.fixture
def corrected(seeded, client, mp_login, staff_login):
    """Six submissions, each corrected by triage; returns (triage headers, feedback ids by text)."""
    triage = staff_login("triage")
    ids = {}
    for text in BENCH + TRADE:
        ok(client.post(f"{MP}/feedback", json={"kind": "problem", "content": text}, headers=mp_login()), 201)
        inbox = ok(client.get(f"{STAFF}/feedback", query_string={"order": "newest"}, headers=triage))
        ids[text] = inbox["items"][0]["id"]
    for text in BENCH:
        ok(client.post(f"{STAFF}/feedback/{ids[text]}/tags", json={"tags": ["peihui"], "note": "陪会"}, headers=triage))
    for text in TRADE:
        ok(client.post(f"{STAFF}/feedback/{ids[text]}/tags", json={"tags": [], "note": "与减负无关"}, headers=triage))
    return triage, ids


def test_automatic_tags_carry_the_tagger_version_and_evidence_shown_to_triage(seeded, client, mp_login, staff_login):
    triage = staff_login("triage")
    text = "一周五天有三天在会上，上面一个电话，下面跑断腿。"
    ok(client.post(f"{MP}/feedback", json={"kind": "problem", "content": text}, headers=mp_login()), 201)
    fid = ok(client.get(f"{STAFF}/feedback", headers=triage))["items"][0]["id"]
    tags = {t["code"]: t for t in ok(client.get(f"{STAFF}/feedback/{fid}", headers=triage))["tags"]}
    assert set(tags) == {"peihui", "shudi"}
    for tag in tags.values():
        assert tag["source"] == "auto" and tag["tagger_version"] == get_tagger().version
        assert tag["tagger_version"].startswith("rules-") and tag["matched"]
        assert isinstance(tag["learned"], list)


def test_a_removed_automatic_tag_keeps_its_evidence_in_the_history(corrected, client, db):
    triage, ids = corrected
    events = ok(client.get(f"{STAFF}/feedback/{ids[TRADE[0]]}/events", headers=triage))
    retag = next(e for e in events if e["action"] == "retag")
    assert retag["data"]["before"] == ["peihui"] and retag["data"]["after"] == []
    removed = retag["data"]["removed_auto"]["peihui"]
    assert removed["matched"] == ["迎来送往"] and removed["tagger_version"] == get_tagger().version
    added = db.session.query(Event).filter_by(feedback_id=ids[BENCH[0]], action="retag").one()
    assert "removed_auto" not in added.data  # nothing automatic was taken away there


def test_suggest_proposes_a_term_triage_keeps_adding_and_one_it_keeps_removing(corrected, runner):
    result = runner.invoke(args=["tagger", "suggest", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["corrections"] == 6 and body["tagger_version"] == get_tagger().version
    by_term = {(s["action"], s["tag"], s["term"]): s for s in body["suggestions"]}
    add = by_term[("add_term", "peihui", "坐冷板凳")]
    assert add["support"] == 3 and add["precision"] == 1.0
    assert {e["excerpt"][:6] for e in add["examples"]} == {t[:6] for t in BENCH}
    weaken = by_term[("weaken_term", "peihui", "迎来送往")]
    assert weaken["support"] == 3 and "迎来送往" in weaken["hint"]
    assert not any(s["term"] in ("开会", "会议") for s in body["suggestions"])  # already rule words
    text = runner.invoke(args=["tagger", "suggest"]).output
    assert "研判人员为 3 条含“坐冷板凳”的反映手工补上了“陪会”" in text
    assert "支持 3" in runner.invoke(args=["tagger", "suggest", "--min-support", "3"]).output
    assert "暂无建议" in runner.invoke(args=["tagger", "suggest", "--min-support", "4"]).output


def test_admin_view_of_the_tagger_and_its_suggestions(corrected, client, staff_login):
    admin = staff_login("admin")
    status = ok(client.get(f"{STAFF}/tagger", headers=admin))
    assert status["version"] == get_tagger().version and status["model"]["version"] in status["version"]
    body = ok(client.get(f"{STAFF}/tagger/suggestions", query_string={"min_support": 2}, headers=admin))
    assert any(s["term"] == "坐冷板凳" and s["support"] == 3 for s in body["suggestions"])
    triage, _ = corrected
    assert client.get(f"{STAFF}/tagger/suggestions", headers=triage).status_code == 403
    reply = client.get(f"{STAFF}/tagger/suggestions", query_string={"min_support": 0}, headers=admin)
    assert reply.status_code == 422 and reply.get_json()["errors"]


def test_train_learns_from_the_corrections(corrected, runner, tmp_path, app):
    data = tmp_path / "labelled.jsonl"
    rows = [
        {"text": "一年签了二十多份责任状，出了事还得乡镇兜底。", "tags": ["属地甩锅"], "source_url": "x"},
        {"text": "今年会议明显减少，减负效果很好。", "tags": ["其他"], "source_url": "y"},
    ]
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    target = tmp_path / "model.json"
    result = runner.invoke(
        args=[
            "tagger",
            "train",
            "--data",
            str(data),
            "--output",
            str(target),
            "--c",
            "10",
            "--threshold",
            "0.6",
            "--cv",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "dev 2 条" in result.output and "triage 6 条" in result.output
    assert "按来源留一交叉验证" in result.output and "“其他”条目被打上标签的比例" in result.output
    model = TagModel.load(target)
    assert model.meta["by_origin"] == {"dev": 2, "triage": 6} and model.version in result.output
    before = Tagger(get_tagger().taxonomy, app.config["USERDICT_PATH"])
    after = Tagger(get_tagger().taxonomy, app.config["USERDICT_PATH"], model=model)
    new = "镇里开会又叫我们去坐冷板凳。"
    assert "peihui" not in {h.code for h in before.tag(new)}
    hit = next(h for h in after.tag(new) if h.code == "peihui")
    assert "冷板凳" in "".join(hit.learned)


def test_train_without_any_labelled_data_says_what_to_do(seeded, runner):
    result = runner.invoke(args=["tagger", "train"])
    assert result.exit_code != 0 and "没有可用于训练的标注数据" in result.output


def test_a_new_model_file_is_picked_up_without_reloading_jieba(app, tmp_path):
    first = get_tagger()
    first.warm_up()
    shipped = TagModel.load(app.config["TAGGER_MODEL_PATH"])
    app.config["TAGGER_MODEL_PATH"] = str(tmp_path / "model.json")
    rules_only = get_tagger()
    assert rules_only.model is None and rules_only.version == f"rules-{first.taxonomy.version}"
    shipped.version = "model-retrained"
    shipped.save(tmp_path / "model.json")
    again = get_tagger()
    assert again.version == f"rules-{first.taxonomy.version}+model-retrained"
    assert again._tokenizer is first._tokenizer
