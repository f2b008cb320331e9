"""Training and cross-validation of the tagger's learned layer (scikit-learn, offline only).

Imported by ``flask tagger train`` and ``python -m feedback.tag_eval``, never by a web worker:
scikit-learn and numpy are loaded inside the functions that fit. The fitted weights are copied into
a ``TagModel`` (plain dicts) and pruned, so the file is small and scoring is pure Python.

Choices, each made by leave-source-out measurement on the labelled statements:

- logistic regression per tag, L2, ``liblinear`` (deterministic, well under a second per tag);
- features from ``feedback.tag_model.features`` (jieba tokens, character 2/3-grams, rule scores);
- a text feature is kept only if it occurs in statements from at least ``MIN_GROUPS`` sources, so
  the model cannot learn one article's wording (a feature from one source is memorising);
- medium-confidence labels are left out of that tag's training, as they are left out of scoring.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from feedback.tag_model import TagModel, TagWeights
from feedback.tagging import Analysis, Tagger, Taxonomy, vetoed_tags

NONE_LABELS = frozenset({"其他", "无", "none", "other"})
UNSURE = frozenset({"medium", "low"})
MIN_GROUPS = 2
TOP_FEATURES = 400
DEFAULT_C = 1.0
DEFAULT_THRESHOLD = 0.8


@dataclass
class Example:
    """One labelled statement: ``labels`` are sure positives, ``unsure`` are left out for that tag."""

    text: str
    labels: set[str]
    unsure: set[str] = field(default_factory=set)
    group: str = ""
    origin: str = "dev"


def examples_from_records(records: Iterable[dict[str, Any]], taxonomy: Taxonomy) -> list[Example]:
    """Labelled JSONL records (``text``, ``tags``, ``confidence``, ``source_url``) as examples."""
    examples = []
    for i, record in enumerate(records):
        confidence = record.get("confidence") if isinstance(record.get("confidence"), dict) else {}
        sure: set[str] = set()
        unsure: set[str] = set()
        for label in record.get("tags") or []:
            if not isinstance(label, str) or label.strip().lower() in NONE_LABELS:
                continue
            code = taxonomy.resolve_label(label)
            if code is not None:
                (unsure if str(confidence.get(label, "high")).lower() in UNSURE else sure).add(code)
        group = str(record.get("source_url") or f"record-{i}")
        examples.append(Example(record["text"], sure - unsure, unsure, group))
    return examples


def analyse_all(tagger: Tagger, examples: Sequence[Example]) -> list[Analysis]:
    """The tagger's analysis of every example: rule firings and feature vector."""
    return [tagger.analyse(e.text, vector=True) for e in examples]


def vectorise(tagger: Tagger, examples: Sequence[Example]) -> list[dict[str, float]]:
    """Feature vectors with the tagger's rules (its model, if any, is not consulted)."""
    return [a.vector or {} for a in analyse_all(tagger, examples)]


Rules = frozenset[tuple[str, int]]  # (tag code, rule number in the tag's list)


def rule_support(
    examples: Sequence[Example], analyses: Sequence[Analysis], indices: Iterable[int]
) -> dict[tuple[str, int], set[str]]:
    """For each rule, the sources in which it fired on a statement sure to carry its tag."""
    found: dict[tuple[str, int], set[str]] = defaultdict(set)
    for i in indices:
        for code, fired in analyses[i].fired.items():
            if code in examples[i].labels:
                for number in fired:
                    found[(code, number)].add(examples[i].group)
    return found


def rule_false_sources(
    examples: Sequence[Example], analyses: Sequence[Analysis], indices: Iterable[int]
) -> dict[tuple[str, int], set[str]]:
    """For each rule, the sources in which it fired (undamped weight at least 0.3) on a statement
    sure not to carry its tag."""
    found: dict[tuple[str, int], set[str]] = defaultdict(set)
    for i in indices:
        for code, fired in analyses[i].fired.items():
            if code not in examples[i].labels and code not in examples[i].unsure:
                for number, weight in fired.items():
                    if weight >= 0.3:
                        found[(code, number)].add(examples[i].group)
    return found


def cross_validate_dampers(tagger: Tagger, examples: Sequence[Example], k: int | None = None) -> list[set[str]]:
    """Rules-only predictions, each fold keeping only the dampers that training sources back.

    The praise rules and mention (and after) cues were written while reading the 其他 statements of these
    sources, so the fixed taxonomy's false-alarm rate on them is optimistic. Here a damper is kept
    for a held-out source only if it occurs in a 其他 statement of another source on which some
    rule fires without dampers: the false-alarm rate of a tagger whose dampers were written from
    the other sources (a pessimistic bound, as ``min_rule_sources`` is for the rules).
    """
    taxonomy = tagger.taxonomy
    mods = taxonomy.modifiers

    def variant(praise: Iterable[int], cues: Iterable[int], after: Iterable[int] = (), past: bool = False) -> Tagger:
        kept = replace(
            mods,
            praise=tuple(mods.praise[i] for i in sorted(praise)),
            mention_cues=tuple(mods.mention_cues[i] for i in sorted(cues)),
            after_cues=tuple(mods.after_cues[i] for i in sorted(after)),
            past_cues=mods.past_cues if past else (),
        )
        return tagger.with_taxonomy(
            Taxonomy(taxonomy.tags, taxonomy.version, taxonomy.threshold, kept, taxonomy.anchor)
        )

    bare = variant((), (), (), False)
    backing: dict[tuple[str, int], set[str]] = defaultdict(set)
    for e in examples:
        if e.labels or e.unsure or not bare.analyse(e.text, vector=False).fired:
            continue
        praise, cues, after, past = tagger.dampers(e.text)
        if past:
            backing[("past", 0)].add(e.group)
        for i in praise:
            backing[("praise", i)].add(e.group)
        for i in cues:
            backing[("cue", i)].add(e.group)
        for i in after:
            backing[("after", i)].add(e.group)
    predicted: list[set[str]] = [set() for _ in examples]
    for test in folds_by_group(examples, k):
        held = {examples[i].group for i in test}
        kept = {key for key, groups in backing.items() if groups - held}
        fold = variant(
            *([i for kind, i in kept if kind == k] for k in ("praise", "cue", "after")), past=("past", 0) in kept
        )
        for i in test:
            predicted[i] = {hit.code for hit in fold.tag(examples[i].text)}
    return predicted


def rule_score(taxonomy: Taxonomy, code: str, fired: dict[int, float], off: Rules) -> float:
    """The tag's rule score (as ``Tagger`` computes it) with the rules in ``off`` switched off."""
    tag = taxonomy.get(code)
    kept = {i: w for i, w in fired.items() if (code, i) not in off}
    if tag is None or not any(len(tag.rules[i].groups) > 1 or tag.rules[i].weight >= taxonomy.anchor for i in kept):
        return 0.0
    return 1.0 - math.prod(1.0 - w for w in kept.values())


def without_rules(taxonomy: Taxonomy, analysis: Analysis, off: Rules, threshold: float = 0.5) -> dict[str, float]:
    """The analysis's feature vector with the rule scores (and the dampers' vetoes, ``v:``)
    recomputed without the rules in ``off``."""
    vector = {f: v for f, v in (analysis.vector or {}).items() if not f.startswith(("r:", "v:"))}
    for code, fired in analysis.fired.items():
        score = rule_score(taxonomy, code, fired, off)
        if score > 0:
            vector["r:" + code] = score
    vector.update(("v:" + code, 1.0) for code in vetoed_tags(taxonomy, analysis.fired, threshold, off))
    return vector


def fit(
    taxonomy: Taxonomy,
    examples: Sequence[Example],
    vectors: Sequence[dict[str, float]],
    c: float = DEFAULT_C,
    threshold: float = DEFAULT_THRESHOLD,
    version: str | None = None,
) -> TagModel:
    """One regularised logistic regression per tag; deterministic for the same input."""
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    sources: dict[str, set[str]] = defaultdict(set)
    for example, vector in zip(examples, vectors, strict=True):
        for name in vector:
            sources[name].add(example.group)
    # ``v:`` marks a tag the dampers vetoed (``decide`` reads it); it is not a feature.
    names = sorted(
        n for n, groups in sources.items() if n.startswith("r:") or (len(groups) >= MIN_GROUPS and n[:2] != "v:")
    )
    index = {n: i for i, n in enumerate(names)}
    rows, cols, vals = [], [], []
    for r, vector in enumerate(vectors):
        for name, value in vector.items():
            if name in index:
                rows.append(r)
                cols.append(index[name])
                vals.append(value)
    matrix = csr_matrix((vals, (rows, cols)), shape=(len(vectors), len(names)))
    tags: dict[str, TagWeights] = {}
    for tag in taxonomy.tags:
        keep = [i for i, e in enumerate(examples) if tag.code not in e.unsure]
        y = [int(tag.code in examples[i].labels) for i in keep]
        if not names or not 0 < sum(y) < len(y):
            continue  # nothing to learn from: the rules alone decide this tag
        clf = LogisticRegression(C=c, solver="liblinear", class_weight="balanced", max_iter=1000)
        clf.fit(matrix[keep], y)
        coef = clf.coef_[0]
        ranked = sorted(range(len(names)), key=lambda j: (-abs(coef[j]), names[j]))
        chosen = {j for j in ranked[:TOP_FEATURES] if coef[j]} | {
            j for j in range(len(names)) if names[j].startswith("r:") and coef[j]
        }
        tags[tag.code] = TagWeights(
            tag.code,
            round(float(clf.intercept_[0]), 6),
            threshold,
            {names[j]: round(float(coef[j]), 6) for j in sorted(chosen)},
        )
    meta = {
        "trained_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "c": c,
        "taxonomy_version": taxonomy.version,
        "examples": len(examples),
        "by_origin": dict(sorted(_count(e.origin for e in examples).items())),
        "positives": {t.code: sum(t.code in e.labels for e in examples) for t in taxonomy.tags},
    }
    model = TagModel("", tags, meta)
    digest = hashlib.sha256(json.dumps(model.to_dict()["tags"], sort_keys=True).encode()).hexdigest()[:8]
    model.version = version or f"model-{meta['trained_at'][:10].replace('-', '')}-{digest}"
    return model


def _count(items: Iterable[str]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for item in items:
        out[item] += 1
    return dict(out)


def folds_by_group(examples: Sequence[Example], k: int | None) -> list[list[int]]:
    """Test folds holding out whole sources; ``k=None`` leaves one source out at a time.

    Sources are spread over folds by a hash of their name, so folds do not depend on file order.
    """
    groups = sorted({e.group for e in examples})
    if k is None or k >= len(groups):
        order = {g: i for i, g in enumerate(groups)}
        k = len(groups)
    else:
        order = {g: int(hashlib.sha256(g.encode()).hexdigest(), 16) % k for g in groups}
    folds: list[list[int]] = [[] for _ in range(k)]
    for i, e in enumerate(examples):
        folds[order[e.group]].append(i)
    return [f for f in folds if f]


def cross_validate(
    tagger: Tagger,
    examples: Sequence[Example],
    k: int | None = 10,
    c: float = DEFAULT_C,
    threshold: float = DEFAULT_THRESHOLD,
    vectors: Sequence[dict[str, float]] | None = None,
    progress: Callable[[int, int], None] | None = None,
    min_rule_sources: int = 0,
    analyses: Sequence[Analysis] | None = None,
) -> list[set[str]]:
    """Predicted codes for every example, each from a model that never saw its source.

    The rules are the operator's and fixed, and most were written while reading these
    statements, so a held-out source is often scored by rules written from it. With
    ``min_rule_sources`` = n > 0 each fold also switches off every rule that fired correctly in
    fewer than n of the *training* sources: a rule whose only evidence is the held-out source is
    treated as never written. That bound is pessimistic (a rule written from the label
    definitions is switched off too until the data shows it); the fixed-rules figure optimistic.
    """
    if min_rule_sources > 0 and analyses is None:
        analyses = analyse_all(tagger, examples)
    if vectors is None:
        vectors = [a.vector or {} for a in analyses] if analyses is not None else vectorise(tagger, examples)
    vectors = list(vectors)
    every_rule = frozenset((t.code, i) for t in tagger.taxonomy.tags for i in range(len(t.rules)))
    predicted: list[set[str]] = [set() for _ in examples]
    folds = folds_by_group(examples, k)
    for n, test in enumerate(folds, 1):
        held = set(test)
        train = [i for i in range(len(examples)) if i not in held]
        if min_rule_sources > 0 and analyses is not None:
            support = rule_support(examples, analyses, train)
            off = frozenset(r for r in every_rule if len(support.get(r, ())) < min_rule_sources)
            vectors = [without_rules(tagger.taxonomy, a, off, tagger.threshold) for a in analyses]
        model = fit(
            tagger.taxonomy, [examples[i] for i in train], [vectors[i] for i in train], c, threshold, version="cv"
        )
        for i in test:
            predicted[i] = decide(tagger, model, vectors[i])
        if progress:
            progress(n, len(folds))
    return predicted


def decide(tagger: Tagger, model: TagModel | None, vector: dict[str, float]) -> set[str]:
    """What ``Tagger.tag`` gives for a vector (the same rule, without rebuilding the text)."""
    codes = set()
    for tag in tagger.taxonomy.tags:
        weights = model.tags.get(tag.code) if model is not None else None
        if vector.get("r:" + tag.code, 0.0) >= tagger.threshold - 1e-9:
            codes.add(tag.code)
        elif "v:" + tag.code in vector:
            continue  # the dampers judged its words a mention: the model may not give it back
        elif weights is not None and weights.probability(vector) >= weights.threshold:
            codes.add(tag.code)
    return codes
