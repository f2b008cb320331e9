"""Measure the burden tagger against labelled statements (JSONL), so rule edits can be judged.

Each line: ``{"text": ..., "tags": [label, ...], "confidence": {label: "high" | "medium"}}``.
Labels are codes, names or aliases of the taxonomy; ``其他`` means "no burden". A medium
label is an annotator's doubt, so for that tag the item is left out: it can be neither a hit
nor a miss, and predicting the tag is not a false positive.

Two figures, because the tagger is judged on statements it has never seen: *resubstitution* (the
shipped rules and model on these records; optimistic, they were written and trained on them) and
*leave-source-out cross-validation* (records grouped by ``source_url``; for each held-out source the
learned layer is trained on the other sources only, so no statement is scored by a model that saw
its source). The rules are fixed, so for them only a set of sources never read while writing them
is an honest test: the *unseen sources* (``unseen_source``: 3 in 10 by a hash of ``source_url``,
25 sources and 102 statements of the current file) are kept out of rule writing, their figures
are printed apart and their statements are never listed among the errors. A third figure bounds
the rules from below: leave-source-out where each fold also switches off every rule no training
source supports (``tag_train.cross_validate(min_rule_sources=1)``); a fourth bounds the dampers the
same way (``tag_train.cross_validate_dampers``: rules only, each fold keeping the praise rules and
mention cues that a 其他 statement of another source needed), and ``--rules`` lists, per rule, the
read sources where it fired correctly and falsely. The statements it gets wrong
(outside the unseen sources) are printed, so a person can see why.

Run as ``python -m feedback.tag_eval FILE.jsonl`` or through ``flask tag-eval FILE``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from feedback.tag_model import TagModel
from feedback.tagging import Tagger, Taxonomy, TaxonomyError

CORE_CODES = ("peihui", "liuhen", "jiediao", "shudi")
NONE_LABELS = frozenset({"其他", "无", "none", "other"})
UNSURE = frozenset({"medium", "low"})
# Sources whose statements rule writers never read: 3 in 10, by a hash of the source address.
UNSEEN_OUT_OF_TEN = 3


def unseen_source(record: dict[str, Any]) -> bool:
    """Is the record from a source kept out of rule writing (measured, never read)?"""
    url = str(record.get("source_url") or "")
    return bool(url) and int(hashlib.sha256(url.encode()).hexdigest(), 16) % 10 < UNSEEN_OUT_OF_TEN


@dataclass(frozen=True)
class TagScore:
    code: str
    name: str
    tp: int
    fp: int
    fn: int
    skipped: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        """F1; a tag with nothing to find and nothing predicted counts as perfect."""
        if not self.tp + self.fp + self.fn:
            return 1.0
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn)


@dataclass(frozen=True)
class EvalReport:
    scores: tuple[TagScore, ...]
    records: int
    other_items: int
    other_tagged: int
    unknown_labels: tuple[str, ...] = ()

    def macro_f1(self, codes: Iterable[str] | None = None) -> float:
        wanted = set(codes) if codes is not None else None
        chosen = [s.f1 for s in self.scores if wanted is None or s.code in wanted]
        return sum(chosen) / len(chosen) if chosen else 0.0

    @property
    def core_macro_f1(self) -> float:
        return self.macro_f1(CORE_CODES)

    @property
    def all_macro_f1(self) -> float:
        return self.macro_f1()

    @property
    def other_share(self) -> float:
        return self.other_tagged / self.other_items if self.other_items else 0.0


def load_records(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Read a JSONL file; a broken line is an error naming its number, not a silent skip."""
    records = []
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"第 {number} 行不是合法的 JSON：{exc.msg}") from None
            if not isinstance(record, dict) or not isinstance(record.get("text"), str):
                raise ValueError(f"第 {number} 行缺少 text 字段")
            records.append(record)
    return records


def evaluate(tagger: Tagger, records: Iterable[dict[str, Any]]) -> EvalReport:
    """Score the tagger on labelled records; pure, so the CLI and tests can share it."""
    records = list(records)
    predicted = [{hit.code for hit in tagger.tag(record["text"])} for record in records]
    return evaluate_predictions(tagger.taxonomy, records, predicted)


def _gold(taxonomy: Taxonomy, record: dict[str, Any]) -> tuple[set[str], set[str]]:
    confidence = record.get("confidence") if isinstance(record.get("confidence"), dict) else {}
    gold: set[str] = set()
    unsure: set[str] = set()
    for label in record.get("tags") or []:
        code = taxonomy.resolve_label(label) if isinstance(label, str) else None
        if code is not None:
            (unsure if str(confidence.get(label, "high")).lower() in UNSURE else gold).add(code)
    return gold - unsure, unsure


def evaluate_predictions(
    taxonomy: Taxonomy, records: Sequence[dict[str, Any]], predictions: Sequence[set[str]]
) -> EvalReport:
    """Score given predictions (one set of codes per record), e.g. from cross-validation."""
    counts = {t.code: [0, 0, 0, 0] for t in taxonomy.tags}  # tp, fp, fn, skipped
    unknown: set[str] = set()
    total = other_items = other_tagged = 0
    for record, predicted in zip(records, predictions, strict=True):
        total += 1
        confidence = record.get("confidence") if isinstance(record.get("confidence"), dict) else {}
        gold: set[str] = set()
        unsure: set[str] = set()
        is_other = other_unsure = False
        for label in record.get("tags") or []:
            if not isinstance(label, str):
                unknown.add(repr(label))
                continue
            doubtful = str(confidence.get(label, "high")).lower() in UNSURE
            if label.strip().lower() in NONE_LABELS:
                is_other, other_unsure = True, doubtful
                continue
            code = taxonomy.resolve_label(label)
            if code is None:
                unknown.add(label)
            else:
                (unsure if doubtful else gold).add(code)
        gold -= unsure
        if (is_other or not record.get("tags")) and not gold and not unsure and not other_unsure:
            other_items += 1
            other_tagged += bool(predicted)
        for code, c in counts.items():
            if code in unsure:
                c[3] += 1
            elif code in gold:
                c[0 if code in predicted else 2] += 1
            elif code in predicted:
                c[1] += 1
    scores = tuple(TagScore(t.code, t.name, *counts[t.code]) for t in taxonomy.tags)
    return EvalReport(scores, total, other_items, other_tagged, tuple(sorted(unknown)))


def format_report(report: EvalReport) -> str:
    """Plain-text table for the terminal (Chinese headers: the readers are operators)."""
    lines = [f"{'标签':<8}{'代码':<11}{'精确率':>7}{'召回率':>7}{'F1':>8}{'TP':>5}{'FP':>5}{'FN':>5}{'跳过':>5}"]
    for s in report.scores:
        label = s.name + "\u3000" * max(0, 6 - len(s.name))
        lines.append(
            f"{label}  {s.code:<11}{s.precision:>9.3f}{s.recall:>10.3f}{s.f1:>8.3f}"
            f"{s.tp:>5}{s.fp:>5}{s.fn:>5}{s.skipped:>7}"
        )
    lines += [
        "",
        f"核心四类（陪会/留痕/借调/属地甩锅）macro-F1：{report.core_macro_f1:.3f}",
        f"全部 {len(report.scores)} 类 macro-F1：{report.all_macro_f1:.3f}",
        f"“其他”条目被打上标签的比例：{report.other_tagged}/{report.other_items} = {report.other_share:.1%}",
        f"共 {report.records} 条；“跳过”= 该标签为 medium 置信度，不计对错。",
    ]
    if report.unknown_labels:
        lines.append("未识别的标签（已忽略）：" + "、".join(report.unknown_labels))
    return "\n".join(lines)


def format_errors(taxonomy: Taxonomy, records: Sequence[dict[str, Any]], predictions: Sequence[set[str]]) -> str:
    """The statements the tagger gets wrong, so a person can see why (medium labels excepted)."""
    name = {t.code: t.name for t in taxonomy.tags}
    lines = []
    hidden = 0
    for record, predicted in zip(records, predictions, strict=True):
        if unseen_source(record):
            hidden += 1
            continue
        gold, unsure = _gold(taxonomy, record)
        missed, extra = gold - predicted, predicted - gold - unsure
        if not missed and not extra:
            continue
        parts = ([f"漏标 {'、'.join(name[c] for c in sorted(missed))}"] if missed else []) + (
            [f"误标 {'、'.join(name[c] for c in sorted(extra))}"] if extra else []
        )
        source = record.get("source_title") or record.get("source_url") or ""
        lines.append(f"[{'；'.join(parts)}] {record['text']}" + (f"  （{source}）" if source else ""))
    if hidden:
        lines.append(f"（另有 {hidden} 条来自写规则时不读的来源，不列出，以免规则照着它们写）")
    return "\n".join(lines) if lines else "（没有标错的条目）"


def format_rule_sources(
    taxonomy: Taxonomy, examples: Sequence[Any], analyses: Sequence[Any], indices: list[int]
) -> str:
    """Per rule that fired: in how many sources it fired on a statement sure to carry its tag, and
    in how many on one sure not to (a rule backed by one source only is likely memorising)."""
    from feedback.tag_train import rule_false_sources, rule_support

    good = rule_support(examples, analyses, indices)
    bad = rule_false_sources(examples, analyses, indices)
    lines = [f"{'标签':<6}{'规则':>5}{'权重':>6}{'正确来源':>6}{'误报来源':>6}  规则内容"]
    for tag in taxonomy.tags:
        for number, rule in enumerate(tag.rules):
            g, b = len(good.get((tag.code, number), ())), len(bad.get((tag.code, number), ()))
            if g or b:
                text = " & ".join("|".join(m.source for m in group) for group in rule.groups)
                lines.append(f"{tag.name:<6}{number:>6}{rule.weight:>8.2f}{g:>8}{b:>8}  {text[:70]}")
    return "\n".join(lines)


def _load_model(path: str | None) -> TagModel | None:
    if not path or not os.path.exists(path):
        return None
    return TagModel.load(path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m feedback.tag_eval", description="用标注数据评估减负标签的准确度")
    parser.add_argument("file", help="标注数据（JSONL）")
    parser.add_argument("--taxonomy", default="config/taxonomy.yaml", help="标签体系文件")
    parser.add_argument("--userdict", default="config/userdict.txt", help="jieba 用户词典")
    parser.add_argument("--model", default="config/tagger_model.json", help="学习层模型文件（不存在则只用规则）")
    parser.add_argument("--folds", type=int, default=0, help="交叉验证按来源分几折；0 = 每次留出一个来源（默认）")
    parser.add_argument("--no-cv", action="store_true", help="只算回代结果，不做按来源交叉验证")
    parser.add_argument("--rules", action="store_true", help="列出每条规则正确命中和误报的来源数（只计读过的来源）")
    parser.add_argument(
        "--errors", choices=("cv", "resub", "none"), default="cv", help="列出哪一组结果中标错的条目（默认交叉验证）"
    )
    args = parser.parse_args(argv)
    try:
        taxonomy = Taxonomy.load(args.taxonomy)
        model = _load_model(args.model)
        tagger = Tagger(taxonomy, args.userdict, model=model)
        records = load_records(args.file)
    except (OSError, ValueError) as exc:  # TaxonomyError and ModelError are ValueErrors
        kind = "标签体系有误" if isinstance(exc, TaxonomyError) else "无法读取输入"
        print(f"{kind}：{exc}", file=sys.stderr)
        return 2
    resub = [{hit.code for hit in tagger.tag(r["text"])} for r in records]
    label = f"规则 {taxonomy.version}" + (f" + 学习层 {model.version}" if model else "（无学习层）")
    print(f"== 回代：{label}，在这些条目上评估（规则或模型可能正是据此写成/训练的，偏乐观）==")
    print(format_report(evaluate_predictions(taxonomy, records, resub)))
    shown = resub
    if not args.no_cv:
        from feedback.tag_train import analyse_all, cross_validate, cross_validate_dampers, examples_from_records

        rules_only = Tagger(taxonomy, args.userdict)
        examples = examples_from_records(records, taxonomy)
        k = args.folds or None
        analyses = analyse_all(rules_only, examples)
        cv = cross_validate(rules_only, examples, k=k, analyses=analyses)
        groups = len({e.group for e in examples})
        folds = f"{args.folds} 折" if args.folds else f"留一来源，{groups} 折"
        print(f"\n== 按来源交叉验证（{folds}）：规则 {taxonomy.version} + 每折只用其他来源训练的学习层 ==")
        print(format_report(evaluate_predictions(taxonomy, records, cv)))
        unseen = [i for i, r in enumerate(records) if unseen_source(r)]
        if unseen:
            sources = len({examples[i].group for i in unseen})
            print(f"\n== 其中写规则时从未读过的 {sources} 个来源（{len(unseen)} 条）：对新来源的诚实估计 ==")
            print(format_report(evaluate_predictions(taxonomy, [records[i] for i in unseen], [cv[i] for i in unseen])))
        strict = cross_validate(rules_only, examples, k=k, analyses=analyses, min_rule_sources=1)
        print(f"\n== 下限：按来源交叉验证（{folds}），每折还关掉没有任何训练来源印证过的规则 ==")
        print(format_report(evaluate_predictions(taxonomy, records, strict)))
        damped = cross_validate_dampers(rules_only, examples, k=k)
        print(
            f"\n== 降权项下限：按来源交叉验证（{folds}），只用规则，每折只留在其他来源的“其他”条目上用到过的降权词 =="
        )
        print(format_report(evaluate_predictions(taxonomy, records, damped)))
        if args.rules:
            print("\n== 每条规则的来源支持（只计写规则时读过的来源）==")
            print(
                format_rule_sources(
                    taxonomy, examples, analyses, [i for i, r in enumerate(records) if not unseen_source(r)]
                )
            )
        if args.errors == "cv":
            shown = cv
    if args.errors != "none":
        print("\n== 标错的条目 ==")
        print(format_errors(taxonomy, records, shown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
