"""What the org department's tag corrections teach the tagger.

Every retag by triage is a labelled example: the statement with the tags a person settled on.
``triage_examples`` feeds them to ``flask tagger train`` beside the labelled dev statements;
``suggestions`` turns them into taxonomy proposals for an operator: words that keep appearing in
statements triage had to tag by hand (add a term), and matched terms behind automatic tags triage
keeps removing (weaken or qualify the term). Each proposal carries its support and examples, and is
only a proposal: the operator edits ``config/taxonomy.yaml``.

Read-only; the feedback text is read while it exists (purged feedback no longer teaches anything).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from feedback.extensions import db
from feedback.labels import excerpt
from feedback.models import Event, Feedback
from feedback.tag_train import Example
from feedback.tagging import Tagger

_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class Correction:
    """One corrected feedback: what the tagger gave, what triage settled on, and what was removed."""

    feedback_id: int
    text: str
    auto: set[str]
    final: set[str]
    removed_evidence: dict[str, list[str]]
    kept_evidence: dict[str, list[str]]


def corrections() -> list[Correction]:
    """Every feedback triage retagged whose text still exists, oldest first."""
    events: dict[int, list[Event]] = defaultdict(list)
    for event in db.session.scalars(select(Event).where(Event.action == "retag").order_by(Event.id)):
        if event.feedback_id is not None:
            events[event.feedback_id].append(event)
    if not events:
        return []
    rows = db.session.scalars(
        select(Feedback)
        .where(Feedback.id.in_(list(events)), Feedback.purged_at.is_(None))
        .options(selectinload(Feedback.tags))
        .order_by(Feedback.id)
    )
    found = []
    for feedback in rows:
        if not feedback.content:
            continue
        history = events[feedback.id]
        auto = set((history[0].data or {}).get("before") or [])
        removed: dict[str, list[str]] = {}
        for event in history:
            for code, evidence in ((event.data or {}).get("removed_auto") or {}).items():
                removed[code] = list(evidence.get("matched") or [])
        kept = {t.tag.code: list(t.matched or []) for t in feedback.tags if t.source == "auto"}
        found.append(
            Correction(feedback.id, feedback.content, auto, {t.tag.code for t in feedback.tags}, removed, kept)
        )
    return found


def triage_examples(found: list[Correction] | None = None) -> list[Example]:
    """Corrected statements as training examples, each its own source for cross-validation."""
    return [
        Example(c.text, set(c.final), set(), f"triage-{c.feedback_id}", "triage")
        for c in (corrections() if found is None else found)
    ]


def _words(tagger: Tagger, text: str) -> set[str]:
    return {word for word in tagger.words(text) if len(word) > 1 and _CJK.search(word)}


def suggestions(
    tagger: Tagger, min_support: int = 3, min_precision: float = 0.6, max_examples: int = 3
) -> dict[str, Any]:
    """Taxonomy proposals from the corrections, strongest support first."""
    found = corrections()
    names = {t.code: t.name for t in tagger.taxonomy.tags}
    words = {c.feedback_id: _words(tagger, c.text) for c in found}
    by_id = {c.feedback_id: c for c in found}
    proposals: list[dict[str, Any]] = []

    containing: dict[str, set[int]] = defaultdict(set)
    for fid, ws in words.items():
        for w in ws:
            containing[w].add(fid)
    for code, name in names.items():
        added = [c.feedback_id for c in found if code in c.final and code not in c.auto]
        if len(added) < min_support:
            continue
        base = sum(code in c.final for c in found) / len(found)
        support: dict[str, list[int]] = defaultdict(list)
        for fid in added:
            for w in words[fid]:
                support[w].append(fid)
        for word, fids in support.items():
            with_word = containing[word]
            precision = sum(code in by_id[f].final for f in with_word) / len(with_word)
            if len(fids) < min_support or precision < min_precision or (base < 1 and precision <= base):
                continue
            if code in tagger.analyse(word, vector=False).rules:
                continue  # a rule of this tag already knows the word
            proposals.append(
                _proposal(
                    "add_term",
                    code,
                    name,
                    word,
                    fids,
                    precision,
                    by_id,
                    max_examples,
                    f"研判人员为 {len(fids)} 条含“{word}”的反映手工补上了“{name}”："
                    f"可考虑在 config/taxonomy.yaml 的“{name}”下加入这个词或含它的规则",
                )
            )
    for code, name in names.items():
        removed: dict[str, list[int]] = defaultdict(list)
        kept: dict[str, int] = defaultdict(int)
        for c in found:
            for term in c.removed_evidence.get(code, []):
                removed[term].append(c.feedback_id)
            for term in c.kept_evidence.get(code, []) if code in c.final else []:
                kept[term] += 1
        for term, fids in removed.items():
            share = len(fids) / (len(fids) + kept[term])
            if len(fids) < min_support or share < min_precision:
                continue
            proposals.append(
                _proposal(
                    "weaken_term",
                    code,
                    name,
                    term,
                    fids,
                    share,
                    by_id,
                    max_examples,
                    f"因命中“{term}”自动打上的“{name}”被研判人员去掉了 {len(fids)} 次"
                    f"（保留 {kept[term]} 次）：可考虑降低该词权重，"
                    "或改为需要与其他词同时出现的规则",
                )
            )
    proposals.sort(key=lambda p: (-p["support"], -p["precision"], p["tag"], p["term"]))
    return {"tagger_version": tagger.version, "corrections": len(found), "suggestions": proposals}


def _proposal(
    action: str,
    code: str,
    name: str,
    term: str,
    fids: list[int],
    precision: float,
    by_id: dict[int, Correction],
    max_examples: int,
    hint: str,
) -> dict[str, Any]:
    return {
        "action": action,
        "tag": code,
        "tag_name": name,
        "term": term,
        "support": len(fids),
        "precision": round(precision, 3),
        "hint": hint,
        "examples": [{"feedback_id": f, "excerpt": excerpt(by_id[f].text)} for f in sorted(fids)[:max_examples]],
    }
