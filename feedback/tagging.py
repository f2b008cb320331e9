"""Burden tagger: maps a complaint text to the burden tags of ``config/taxonomy.yaml``.

The rules live in the YAML file so that operators can tune them without a release; this module
only knows how to read them and how to score a text. Scoring is a noisy-OR over the weights of
the rules that fired, after two dampers: a sentence that praises an improvement ("会议明显减少")
and a term that is the object of a fight verb ("整治文山会海") describe policy, not a burden.

Pure Python, no Flask. jieba is imported and initialised only on first use, with a private
``jieba.Tokenizer`` per ``Tagger`` so that the user dictionary never leaks into other code.
"""

from __future__ import annotations

import logging
import math
import os
import re
import threading
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    import jieba

__all__ = ["TagDefinition", "TagHit", "Tagger", "Taxonomy", "TaxonomyError"]

_CODE_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_WINDOWS = ("clause", "sentence", "text")
_SENTENCE_RE = re.compile(r"[^。!?;\n]+")
_CLAUSE_RE = re.compile(r"[^,。!?;:\n]+")
_TITLE_RE = re.compile(r"《[^《》]*》")
_DROPPED = frozenset("“”‘’\"'「」『』")
_FOLD = {c: chr(c - 0xFEE0).lower() for c in range(0xFF01, 0xFF5F)} | {
    c: chr(c + 32) for c in range(ord("A"), ord("Z") + 1)}
_WORD_RE = re.compile(r"[\w\u4e00-\u9fff]")
_Factor = Callable[[tuple[tuple[int, int], ...]], float]


class TaxonomyError(ValueError):
    """The taxonomy file cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Matcher:
    """One alternative of a rule: a literal, a ``re:`` regex or a ``w:`` whole jieba token."""

    source: str
    regex: re.Pattern[str] | None = None
    token: str | None = None


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


@dataclass(frozen=True)
class TagHit:
    code: str
    name: str
    score: float
    matched: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON shape shared by the CLI and the API."""
        return {**asdict(self), "matched": list(self.matched)}


def _normalise(text: str) -> str:
    """Full width to ASCII and ASCII to lower case, one char for one, so spans map back."""
    return text.translate(_FOLD)


def _prepare(text: str) -> tuple[str, list[int]]:
    """Drop quotes, blanks and 《titles》, keeping for each kept char its index in ``text``."""
    titles = {i for m in _TITLE_RE.finditer(text) for i in range(*m.span())}
    folded = _normalise(text)
    index = [i for i, ch in enumerate(folded)
             if i not in titles and ch not in _DROPPED and not ch.isspace()]
    return "".join(folded[i] for i in index), index


def _fail(source: str, where: str, why: str) -> TaxonomyError:
    return TaxonomyError(f"{source}: {where}: {why}")


def _matcher(raw: Any, source: str, where: str) -> Matcher:
    if not isinstance(raw, str) or not raw.strip():
        raise _fail(source, where, f"expected a non-empty string, got {raw!r}")
    if raw.startswith("w:"):
        return Matcher(raw, token=_normalise(raw[2:]))
    try:
        if raw.startswith("re:"):
            return Matcher(raw, regex=re.compile(raw[3:], re.IGNORECASE))
        return Matcher(raw, regex=re.compile(re.escape(_normalise(raw))))
    except re.error as exc:
        raise _fail(source, where, f"bad regular expression {raw!r}: {exc}") from None


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
        Rule(((_matcher(term, source, f"{where}.terms"),),),
             _weight(weight, source, f"{where}.terms.{term}"), "text")
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
        if within not in _WINDOWS:
            raise _fail(source, at, f"within must be one of {', '.join(_WINDOWS)}")
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
    return TagDefinition(code, raw["name"].strip(), raw["description"].strip(),
                         tuple(a.strip() for a in aliases), tuple(rules))


def _modifiers(raw: Any, source: str) -> Modifiers:
    mods = _mapping(raw, source, "modifiers")
    praise, mention, contrast = (_mapping(mods.get(k), source, f"modifiers.{k}")
                                 for k in ("praise", "mention", "contrast"))
    gap = mention.get("gap", 8)
    if isinstance(gap, bool) or not isinstance(gap, int) or gap < 0:
        raise _fail(source, "modifiers.mention.gap", f"expected a whole number, got {gap!r}")
    return Modifiers(
        praise_factor=_weight(praise.get("factor", 1.0), source, "modifiers.praise.factor"),
        praise=tuple(_rules(praise, source, "modifiers.praise", weighted=False)),
        mention_factor=_weight(mention.get("factor", 1.0), source, "modifiers.mention.factor"),
        mention_cues=_matchers(mention["cues"], source, "modifiers.mention.cues")
        if mention.get("cues") else (),
        mention_gap=gap,
        contrast_cues=_matchers(contrast["cues"], source, "modifiers.contrast.cues")
        if contrast.get("cues") else (),
    )


class Taxonomy:
    """The burden categories and their scoring rules, as read from the operator's YAML file."""

    def __init__(self, tags: tuple[TagDefinition, ...], version: str = "1", threshold: float = 0.5,
                 modifiers: Modifiers | None = None, anchor: float = 1e-9) -> None:
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
                data = yaml.safe_load(fh)
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
            return cls(tags, str(data["version"]),
                       _weight(data.get("threshold", 0.5), source, "threshold"),
                       _modifiers(data.get("modifiers"), source),
                       _weight(data.get("anchor", 1e-9), source, "anchor"))
        except TaxonomyError as exc:
            if str(exc).startswith(source):
                raise
            raise TaxonomyError(f"{source}: {exc}") from None

    def get(self, code: str) -> TagDefinition | None:
        return self._by_code.get(code)

    def resolve_label(self, label: str) -> str | None:
        """Map a code, a name or an alias (as found in labelled data or the UI) to a code."""
        return self._labels.get(label.strip().lower()) if isinstance(label, str) else None


class _Text:
    """One text prepared for matching: normalised string, windows and cached matcher spans."""

    def __init__(self, raw: str, tokenizer: jieba.Tokenizer) -> None:
        self.raw = raw
        self.norm, self.index = _prepare(raw)
        self.windows = {
            "sentence": [m.span() for m in _SENTENCE_RE.finditer(self.norm)],
            "clause": [m.span() for m in _CLAUSE_RE.finditer(self.norm)],
            "text": [(0, len(self.norm))],
        }
        self._starts = {k: [s for s, _ in v] for k, v in self.windows.items()}
        self.tokens: dict[str, list[tuple[int, int]]] = {}
        for word, start, end in tokenizer.tokenize(self.norm):
            self.tokens.setdefault(word, []).append((start, end))
        self._cache: dict[int, list[tuple[int, int]]] = {}

    def spans(self, m: Matcher) -> list[tuple[int, int]]:
        if id(m) not in self._cache:
            found = m.regex.finditer(self.norm) if m.regex else ()
            self._cache[id(m)] = (self.tokens.get(m.token, []) if m.token is not None
                                  else [x.span() for x in found if x.end() > x.start()])
        return self._cache[id(m)]

    def window_of(self, kind: str, pos: int) -> tuple[int, int]:
        i = bisect_right(self._starts[kind], pos) - 1
        return self.windows[kind][i] if i >= 0 else (pos, pos)

    def original(self, span: tuple[int, int]) -> str:
        return self.raw[self.index[span[0]]:self.index[span[1] - 1] + 1]

    def candidates(self, rule: Rule) -> list[tuple[tuple[int, int], ...]]:
        """Each way the rule fires: one span per group, all inside one window."""
        if len(rule.groups) == 1:
            return [(s,) for m in rule.groups[0] for s in self.spans(m)]
        found = []
        for lo, hi in self.windows[rule.within]:
            picked = [min((s for m in group for s in self.spans(m) if lo <= s[0] and s[1] <= hi),
                          default=None) for group in rule.groups]
            if None not in picked:
                found.append(tuple(picked))
        return found


class Tagger:
    """Scores texts against a taxonomy; cheap to build, jieba is loaded on first use."""

    def __init__(self, taxonomy: Taxonomy, userdict_path: str | os.PathLike[str] | None = None,
                 threshold: float | None = None) -> None:
        if userdict_path is not None and not os.path.isfile(userdict_path):
            raise FileNotFoundError(f"jieba user dictionary not found: {os.fspath(userdict_path)}")
        self.taxonomy = taxonomy
        self.threshold = taxonomy.threshold if threshold is None else float(threshold)
        self._userdict = None if userdict_path is None else os.fspath(userdict_path)
        self._lock = threading.Lock()
        self._tokenizer: jieba.Tokenizer | None = None
        self._idf: tuple[dict[str, float], float] | None = None

    def warm_up(self) -> None:
        """Load jieba now (e.g. at worker start) instead of on the first request."""
        self._tok()

    def _tok(self) -> jieba.Tokenizer:
        if self._tokenizer is None:
            with self._lock:
                if self._tokenizer is None:
                    import jieba

                    jieba.setLogLevel(logging.WARNING)
                    tok = jieba.Tokenizer()
                    tok.initialize()
                    if self._userdict:
                        with open(self._userdict, "rb") as fh:
                            tok.load_userdict(fh)
                    self._tokenizer = tok
        return self._tokenizer

    def tag(self, text: str) -> list[TagHit]:
        """Multi-label tags above the threshold, best first; [] when nothing fires."""
        if not text or not text.strip():
            return []
        doc = _Text(text, self._tok())
        factor = self._factors(doc)
        hits = [hit for tag in self.taxonomy.tags if (hit := self._score(tag, doc, factor))]
        return sorted(hits, key=lambda h: -h.score)

    def _score(self, tag: TagDefinition, doc: _Text, factor: _Factor) -> TagHit | None:
        """Noisy-OR of the best firing of each rule; each rule counts once."""
        found = [(i, c) for i, rule in enumerate(tag.rules) for c in doc.candidates(rule)]
        # A term nested in a longer term of the same tag ("留痕" in "拍照留痕") adds nothing,
        # so terms are taken longest first and patterns are never shadowed.
        found.sort(key=lambda ic: ic[1][0][0] - ic[1][0][1] if len(ic[1]) == 1 else 0)
        best: dict[int, tuple[float, tuple[tuple[int, int], ...]]] = {}
        taken: list[tuple[int, int]] = []
        for i, cand in found:
            if len(cand) == 1:
                if any(a <= cand[0][0] and cand[0][1] <= b for a, b in taken):
                    continue
                taken.append(cand[0])
            weight = tag.rules[i].weight * factor(cand)
            if weight > best.get(i, (0.0, ()))[0]:
                best[i] = (weight, cand)
        # Supporting words alone ("表格", "报送") are how neutral notices talk too: a tag needs
        # one anchor, a term weighted at least `anchor` or a co-occurrence pattern.
        rules = [tag.rules[i] for i in best]
        if not any(len(r.groups) > 1 or r.weight >= self.taxonomy.anchor for r in rules):
            return None
        score = 1.0 - math.prod(1.0 - w for w, _ in best.values())
        if score <= 0 or score < self.threshold - 1e-9:
            return None
        ranked = sorted(best.values(), key=lambda wc: -wc[0])
        matched = dict.fromkeys(doc.original(s) for _, cand in ranked for s in cand)
        return TagHit(tag.code, tag.name, min(max(round(score, 3), 0.001), 1.0), tuple(matched))

    def _factors(self, doc: _Text) -> _Factor:
        """Return a function giving the damping factor of one candidate match."""
        mods = self.taxonomy.modifiers
        window = doc.window_of
        contrast = {window("sentence", s) for m in mods.contrast_cues for s, _ in doc.spans(m)}
        praised = {window("sentence", c[0][0]) for r in mods.praise for c in doc.candidates(r)}
        praised -= contrast
        cues = [s for m in mods.mention_cues for s in doc.spans(m)]

        def factor(cand: tuple[tuple[int, int], ...]) -> float:
            start = min(s for s, _ in cand)
            result = mods.praise_factor if window("sentence", start) in praised else 1.0
            # A fix verb governs the burden word it precedes ("避免了干部疲于奔波参会"): the last
            # span of a co-occurrence is the one it must precede.
            last = max(s for s, _ in cand)
            lo, _ = window("clause", last)
            if any(lo <= a and b <= last and last - b <= mods.mention_gap for a, b in cues):
                result *= mods.mention_factor
            return result

        return factor

    def segment(self, text: str) -> list[str]:
        """Search-mode tokens of the folded text, for full-text indexing (and for queries)."""
        return [w for w in self._tok().cut_for_search(_normalise(text)) if _WORD_RE.search(w)]

    def keywords(self, text: str, top_k: int = 10) -> list[str]:
        """TF-IDF keywords (jieba's IDF table, loaded on first call) for summaries."""
        tok = self._tok()
        with self._lock:
            if self._idf is None:
                import jieba

                path = os.path.join(os.path.dirname(jieba.__file__), "analyse", "idf.txt")
                with open(path, encoding="utf-8") as fh:
                    idf = {w: float(f) for w, f in (ln.split() for ln in fh if ln.strip())}
                self._idf = (idf, sorted(idf.values())[len(idf) // 2])
        idf, median = self._idf
        words = Counter(w for w in tok.cut(_normalise(text)) if len(w) > 1 and _WORD_RE.search(w))
        return sorted(words, key=lambda w: -words[w] * idf.get(w, median))[:top_k]
