"""The operator's burden taxonomy (``config/taxonomy.yaml``): reading and validating it.

Every problem in the file becomes a ``TaxonomyError`` that names the file, the place and why, so
an operator can fix it. Pure Python, no Flask; ``feedback.tagging`` scores texts against it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import yaml

from feedback import yaml_files

__all__ = ["Matcher", "Modifiers", "Rule", "TagDefinition", "Taxonomy", "TaxonomyError", "normalise"]

_CODE_RE = re.compile(r"^[a-z][a-z0-9_]*$")
WINDOWS = ("clause", "sentence", "text")
_FOLD = {c: chr(c - 0xFEE0).lower() for c in range(0xFF01, 0xFF5F)} | {
    c: chr(c + 32) for c in range(ord("A"), ord("Z") + 1)
}


class TaxonomyError(ValueError):
    """The taxonomy file cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Matcher:
    """One alternative of a rule: a literal, a ``re:`` regex or a ``w:`` whole jieba token."""

    source: str
    regex: re.Pattern[str] | None = None
    token: str | None = None
    literal: str | None = None  # a plain term: checked with ``in`` before the regex runs
    # Every match of the regex has at least one character of each of these sets.
    required: tuple[frozenset[str], ...] = ()
    # A string of two or more characters every match of the regex contains ("" if none is known).
    contains: str = ""


@dataclass(frozen=True)
class Rule:
    """Every group must match inside one window; a plain term is a rule with one group."""

    groups: tuple[tuple[Matcher, ...], ...]
    weight: float
    within: str = "sentence"


@dataclass(frozen=True)
class TagDefinition:
    code: str
    name: str
    description: str
    aliases: tuple[str, ...] = ()
    rules: tuple[Rule, ...] = field(default=(), repr=False, compare=False)


@dataclass(frozen=True)
class Modifiers:
    """Dampers for praise of an improvement and for a term named only as a fight verb's object."""

    praise_factor: float = 1.0
    praise: tuple[Rule, ...] = ()
    mention_factor: float = 1.0
    mention_cues: tuple[Matcher, ...] = ()
    mention_gap: int = 8
    contrast_cues: tuple[Matcher, ...] = ()
    # A fix predicate after the term in its clause ("过度留痕问题得到整治", "检查次数减少了六成"):
    # damped by ``mention_factor`` too, unless the sentence has a contrast cue.
    after_cues: tuple[Matcher, ...] = ()
    after_gap: int = 10
    # A burden told as the past of an improvement ("以前每天都要打卡，现在取消了"): a ``past_cues``
    # word before it in its sentence, a ``now_cues`` word after it (none between), and no contrast
    # or ``worse_cues`` word in the sentence after that "now". Damped by ``past_factor``.
    past_factor: float = 1.0
    past_cues: tuple[Matcher, ...] = ()
    now_cues: tuple[Matcher, ...] = ()
    worse_cues: tuple[Matcher, ...] = ()


def normalise(text: str) -> str:
    """Full width to ASCII and ASCII to lower case, one char for one, so spans map back."""
    return text.translate(_FOLD)


def _fail(source: str, where: str, why: str) -> TaxonomyError:
    return TaxonomyError(f"{source}: {where}: {why}")


def _matcher(raw: Any, source: str, where: str) -> Matcher:
    if not isinstance(raw, str) or not raw.strip():
        raise _fail(source, where, f"expected a non-empty string, got {raw!r}")
    if raw.startswith("w:"):
        return Matcher(raw, token=normalise(raw[2:]))
    try:
        if raw.startswith("re:"):
            regex, required, contains = _regex_facts(raw[3:])
            return Matcher(raw, regex=regex, required=required, contains=contains)
        return Matcher(raw, literal=normalise(raw))  # found with str.find (tagging._Text.spans)
    except re.error as exc:
        raise _fail(source, where, f"bad regular expression {raw!r}: {exc}") from None


@lru_cache(maxsize=4096)
def _regex_facts(pattern: str) -> tuple[re.Pattern[str], tuple[frozenset[str], ...], str]:
    """The compiled regex and what every match must contain (``_required_chars``, ``_required_text``).

    The pattern is parsed once for both; the cache serves a taxonomy loaded again in the same
    process (the seed, a reload after an edit), where parsing ~300 patterns was most of the work.
    Raises ``re.error`` for a bad pattern.
    """
    regex = re.compile(pattern, re.IGNORECASE)
    try:
        from re import _parser as sre  # type: ignore[attr-defined]  # CPython internals, guarded below

        tree = sre.parse(pattern, re.IGNORECASE)
    except Exception:  # noqa: BLE001 - without the internal parser every regex just runs
        return regex, (), ""
    return regex, _required_chars(tree), _required_text(tree)


def _required_chars(tree: Any) -> tuple[frozenset[str], ...]:
    """Sets of characters such that every match contains one character of each ((), if unknown).

    ``tree`` is the pattern parsed by ``re._parser``. A text that misses one of the sets cannot
    match, so the regex is not run: most of the taxonomy's patterns miss most texts, and this
    keeps tagging within its time budget.
    """
    from re import _constants as c  # type: ignore[attr-defined]  # present where _regex_facts parsed

    def chars(*codes: int) -> frozenset[str]:
        return frozenset(ch for code in codes for ch in (chr(code).lower(), chr(code).upper()))

    def walk(items: Any) -> list[frozenset[str]]:
        needed: list[frozenset[str]] = []
        for op, av in items:
            if op is c.LITERAL:
                needed.append(chars(av))
            elif op is c.IN and all(o is c.LITERAL for o, _ in av):
                needed.append(chars(*(a for _, a in av)))
            elif op is c.SUBPATTERN:
                needed += walk(av[-1])
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT) and av[0] >= 1:
                needed += walk(av[2])
            elif op is c.BRANCH:
                parts = [walk(branch) for branch in av[1]]
                if all(parts):
                    needed.append(frozenset().union(*(min(p, key=len) for p in parts)))
        return needed

    try:
        return tuple(dict.fromkeys(walk(tree)))
    except Exception:  # noqa: BLE001 - an internal parser that changed shape only costs speed
        return ()


def _required_text(tree: Any) -> str:
    """The longest run of plain characters every match of the parsed pattern contains (``""`` if
    none of two or more characters is known); a text without it cannot match, and the tagger files
    the regex under its first two characters, as it does plain terms."""
    from re import _constants as c  # type: ignore[attr-defined]  # present where _regex_facts parsed

    best = ""

    def walk(items: Any) -> None:
        nonlocal best
        run = ""
        for op, av in items:
            if op is c.LITERAL:
                run += chr(av)
                continue
            best = max(best, run, key=len)
            run = ""
            if op is c.SUBPATTERN:
                walk(av[-1])
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT) and av[0] >= 1:
                walk(av[2])
        best = max(best, run, key=len)

    try:
        walk(tree)
    except Exception:  # noqa: BLE001 - an internal parser that changed shape only costs speed
        return ""
    return normalise(best) if len(best) >= 2 else ""


def _matchers(raw: Any, source: str, where: str) -> tuple[Matcher, ...]:
    if not isinstance(raw, list) or not raw:
        raise _fail(source, where, "expected a non-empty list")
    return tuple(_matcher(item, source, f"{where}[{i}]") for i, item in enumerate(raw))


def _weight(raw: Any, source: str, where: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not 0 < raw <= 1:
        raise _fail(source, where, f"must be a number in (0, 1], got {raw!r}")
    return float(raw)


def _mapping(raw: Any, source: str, where: str) -> dict[str, Any]:
    if raw is not None and not isinstance(raw, dict):
        raise _fail(source, where, "expected a mapping")
    return raw or {}


def _rules(spec: dict[str, Any], source: str, where: str, weighted: bool = True) -> list[Rule]:
    """Parse ``terms`` (term -> weight, or a plain list when unweighted) and ``patterns``."""
    terms = spec.get("terms") or {}
    if not weighted and isinstance(terms, list):
        terms = dict.fromkeys(terms, 1.0)
    rules = [
        Rule(((_matcher(term, source, f"{where}.terms"),),), _weight(weight, source, f"{where}.terms.{term}"), "text")
        for term, weight in _mapping(terms, source, f"{where}.terms").items()
    ]
    patterns = spec.get("patterns") or []
    if not isinstance(patterns, list):
        raise _fail(source, f"{where}.patterns", "expected a list")
    for i, pat in enumerate(patterns):
        at = f"{where}.patterns[{i}]"
        if not isinstance(pat, dict) or not isinstance(pat.get("all"), list) or not pat["all"]:
            raise _fail(source, at, "expected a mapping with a non-empty list 'all'")
        within = pat.get("within", "sentence")
        if within not in WINDOWS:
            raise _fail(source, at, f"within must be one of {', '.join(WINDOWS)}")
        groups = tuple(_matchers(g, source, f"{at}.all[{j}]") for j, g in enumerate(pat["all"]))
        weight = _weight(pat.get("weight", 1.0), source, f"{at}.weight") if weighted else 1.0
        rules.append(Rule(groups, weight, within))
    return rules


def _tag(raw: Any, source: str, at: str) -> TagDefinition:
    raw = _mapping(raw, source, at)
    for key in ("code", "name", "description"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise _fail(source, f"{at}.{key}", "missing or not a string")
    code = raw["code"].strip()
    if not _CODE_RE.match(code):
        raise _fail(source, f"{at}.code", f"{code!r} is not a lower-case ASCII code")
    aliases = raw.get("aliases") or []
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise _fail(source, f"{at}.aliases", "expected a list of strings")
    rules = _rules(raw, source, at)
    if not rules:
        raise _fail(source, at, "a tag needs at least one term or pattern")
    return TagDefinition(
        code, raw["name"].strip(), raw["description"].strip(), tuple(a.strip() for a in aliases), tuple(rules)
    )


def _modifiers(raw: Any, source: str) -> Modifiers:
    mods = _mapping(raw, source, "modifiers")
    praise, mention, contrast, past = (
        _mapping(mods.get(k), source, f"modifiers.{k}") for k in ("praise", "mention", "contrast", "past")
    )
    gap = mention.get("gap", 8)
    if isinstance(gap, bool) or not isinstance(gap, int) or gap < 0:
        raise _fail(source, "modifiers.mention.gap", f"expected a whole number, got {gap!r}")
    after = _mapping(mention.get("after"), source, "modifiers.mention.after")
    after_gap = after.get("gap", 10)
    if isinstance(after_gap, bool) or not isinstance(after_gap, int) or after_gap < 0:
        raise _fail(source, "modifiers.mention.after.gap", f"expected a whole number, got {after_gap!r}")
    return Modifiers(
        praise_factor=_weight(praise.get("factor", 1.0), source, "modifiers.praise.factor"),
        praise=tuple(_rules(praise, source, "modifiers.praise", weighted=False)),
        mention_factor=_weight(mention.get("factor", 1.0), source, "modifiers.mention.factor"),
        mention_cues=_matchers(mention["cues"], source, "modifiers.mention.cues") if mention.get("cues") else (),
        mention_gap=gap,
        contrast_cues=_matchers(contrast["cues"], source, "modifiers.contrast.cues") if contrast.get("cues") else (),
        after_cues=_matchers(after["cues"], source, "modifiers.mention.after.cues") if after.get("cues") else (),
        after_gap=after_gap,
        past_factor=_weight(past.get("factor", 1.0), source, "modifiers.past.factor"),
        **{
            f"{field}_cues": _matchers(past[key], source, f"modifiers.past.{key}") if past.get(key) else ()
            for field, key in (("past", "cues"), ("now", "now"), ("worse", "worse"))
        },
    )


class Taxonomy:
    """The burden categories and their scoring rules, as read from the operator's YAML file."""

    def __init__(
        self,
        tags: tuple[TagDefinition, ...],
        version: str = "1",
        threshold: float = 0.5,
        modifiers: Modifiers | None = None,
        anchor: float = 1e-9,
    ) -> None:
        self.tags = tags
        self.version = version
        self.threshold = threshold
        self.anchor = anchor
        self.modifiers = modifiers or Modifiers()
        self._by_code: dict[str, TagDefinition] = {}
        self._labels: dict[str, str] = {}
        for tag in tags:
            if self._by_code.setdefault(tag.code, tag) is not tag:
                raise TaxonomyError(f"duplicate code {tag.code!r}")
            for label in (tag.code, tag.name, *tag.aliases):
                if self._labels.setdefault(label.strip().lower(), tag.code) != tag.code:
                    raise TaxonomyError(f"label {label!r} is used by two tags")

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Taxonomy:
        """Read and validate a taxonomy file; every problem becomes a TaxonomyError."""
        source = os.fspath(path)
        try:
            with open(source, encoding="utf-8") as fh:
                data = yaml_files.safe_load(fh)
        except OSError as exc:
            raise TaxonomyError(f"{source}: cannot read: {exc.strerror or exc}") from None
        except yaml.YAMLError as exc:
            raise TaxonomyError(f"{source}: invalid YAML: {exc}") from None
        return cls.from_dict(data, source)

    @classmethod
    def from_dict(cls, data: Any, source: str = "<taxonomy>") -> Taxonomy:
        """Build from already parsed YAML (tests and fixtures use this)."""
        data = _mapping(data, source, "top level")
        if data.get("version") in (None, ""):
            raise _fail(source, "version", "missing")
        raw_tags = data.get("tags")
        if not isinstance(raw_tags, list) or not raw_tags:
            raise _fail(source, "tags", "expected a non-empty list")
        tags = tuple(_tag(raw, source, f"tags[{i}]") for i, raw in enumerate(raw_tags))
        try:
            return cls(
                tags,
                str(data["version"]),
                _weight(data.get("threshold", 0.5), source, "threshold"),
                _modifiers(data.get("modifiers"), source),
                _weight(data.get("anchor", 1e-9), source, "anchor"),
            )
        except TaxonomyError as exc:
            if str(exc).startswith(source):
                raise
            raise TaxonomyError(f"{source}: {exc}") from None

    def get(self, code: str) -> TagDefinition | None:
        return self._by_code.get(code)

    def resolve_label(self, label: str) -> str | None:
        """Map a code, a name or an alias (as found in labelled data or the UI) to a code."""
        return self._labels.get(label.strip().lower()) if isinstance(label, str) else None
