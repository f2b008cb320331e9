"""Routing suggestion from the duty list (职责清单). Pure: no Flask, no database.

A rule matches a feedback by its tags and by literal terms in the text. The
best-scoring rules decide: one primary department -> the rule's own path, with
``escalate`` forced when the burden was imposed by a provincial department (the
matching municipal department reports upward); several primary candidates, or
a rule marked complex -> ``consult``. No rule -> no suggestion; triage decides.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class DepartmentRef:
    code: str
    name: str
    level: str


@dataclass(frozen=True)
class Rule:
    code: str
    matter: str
    primary: DepartmentRef
    tags: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()
    cooperating: tuple[DepartmentRef, ...] = ()
    path: str = "direct"
    deadline_class: str = "standard"
    imposer_level: str | None = None
    complex: bool = False
    priority: int = 100


@dataclass(frozen=True)
class Suggestion:
    path: str
    primary: DepartmentRef | None
    cooperating: tuple[DepartmentRef, ...]
    deadline_class: str
    rules: tuple[str, ...]
    reason: str
    matched: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict:
        def ref(d: DepartmentRef | None) -> dict | None:
            return None if d is None else {"code": d.code, "name": d.name, "level": d.level}

        return {
            "path": self.path,
            "primary": ref(self.primary),
            "cooperating": [ref(d) for d in self.cooperating],
            "deadline_class": self.deadline_class,
            "rules": list(self.rules),
            "reason": self.reason,
            "matched": self.matched,
        }


def _score(rule: Rule, tags: set[str], text: str, imposer_level: str | None) -> tuple[int, list[str]]:
    if rule.imposer_level and imposer_level and rule.imposer_level != imposer_level:
        return 0, []
    tag_hits = [t for t in rule.tags if t in tags]
    term_hits = [t for t in rule.terms if t and t in text]
    if not tag_hits and not term_hits:  # most rules, on every submission: nothing to format
        return 0, []
    score = 2 * len(tag_hits) + len(term_hits)
    if rule.imposer_level and rule.imposer_level == imposer_level:
        score += 1
    return score, [f"tag:{t}" for t in tag_hits] + [f"term:{t}" for t in term_hits]


def _unique(refs: Iterable[DepartmentRef], exclude: set[str]) -> tuple[DepartmentRef, ...]:
    seen, out = set(exclude), []
    for ref in refs:
        if ref.code not in seen:
            seen.add(ref.code)
            out.append(ref)
    return tuple(out)


def suggest(
    rules: Sequence[Rule], tag_codes: Iterable[str], text: str, imposer_level: str | None = None
) -> Suggestion | None:
    tags = set(tag_codes)
    scored = []
    for rule in rules:
        score, hits = _score(rule, tags, text, imposer_level)
        if score:
            scored.append((score, rule, hits))
    if not scored:
        return None
    best_score = max(s[0] for s in scored)
    # Lower priority number wins ties in presentation; all best-scoring rules count.
    best = sorted((s for s in scored if s[0] == best_score), key=lambda s: (s[1].priority, s[1].code))
    top = [s[1] for s in best]
    matched = {s[1].code: s[2] for s in best}
    primaries = _unique((r.primary for r in top), set())
    if len(primaries) > 1 or any(r.complex for r in top):
        participants = _unique([*primaries, *(d for r in top for d in r.cooperating)], set())
        reason = (
            "多个部门均可能负主要责任，建议集中会商" if len(primaries) > 1 else "该事项标记为复杂事项，建议集中会商"
        )
        return Suggestion("consult", None, participants, "consult", tuple(r.code for r in top), reason, matched)
    rule = top[0]
    path = "escalate" if imposer_level == "province" else rule.path
    reason = "负担来自省直部门，转市直对口部门向上反映" if path == "escalate" else f"按职责清单“{rule.matter}”交办"
    deadline_class = "consult" if path == "consult" else rule.deadline_class
    cooperating = _unique((d for r in top for d in r.cooperating), {rule.primary.code})
    return Suggestion(path, rule.primary, cooperating, deadline_class, tuple(r.code for r in top), reason, matched)
