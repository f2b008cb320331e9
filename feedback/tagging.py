"""Burden tagger: maps a complaint text to the burden tags of ``config/taxonomy.yaml``.

The rules live in the YAML file so that operators can tune them without a release
(``feedback.taxonomy`` reads them); this module scores a text. Rule scoring is a noisy-OR over the
weights of the rules that fired, after two dampers: a sentence that praises an improvement
("会议明显减少") and a term that is the object of a fight verb ("整治文山会海") describe policy,
not a burden. An optional learned layer (``feedback.tag_model``) adds tags the rules miss.

Pure Python, no Flask. jieba is imported and initialised only on first use, with a private
``jieba.Tokenizer`` per ``Tagger`` so that the user dictionary never leaks into other code.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import re
import threading
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO

from feedback.idf_table import IdfTable
from feedback.taxonomy import Matcher, Rule, TagDefinition, Taxonomy, TaxonomyError, normalise

if TYPE_CHECKING:
    import jieba

    from feedback.tag_model import TagModel

__all__ = ["Analysis", "TagDefinition", "TagHit", "Tagger", "Taxonomy", "TaxonomyError"]

_SENTENCE_RE = re.compile(r"[^。!?;\n]+")
_CLAUSE_RE = re.compile(r"[^,。!?;:\n]+")
_TITLE_RE = re.compile(r"《[^《》]*》")
_DROPPED = frozenset("“”‘’\"'「」『』")
_BLANK_RE = re.compile(r"\s")  # the characters str.isspace() calls blank
_WORD_RE = re.compile(r"[\w\u4e00-\u9fff]")
_Factor = Callable[[tuple[tuple[int, int], ...]], float]
# jieba dictionary words seen fewer times than this are left out (see _DictLines).
MIN_WORD_FREQ = 4


@dataclass(frozen=True)
class TagHit:
    """One tag given to a text and why: the rule terms that matched and, when the learned layer
    decided, the words that weighed most for it (``learned``)."""

    code: str
    name: str
    score: float
    matched: tuple[str, ...]
    learned: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON shape shared by the CLI and the API."""
        return {**asdict(self), "matched": list(self.matched), "learned": list(self.learned)}


@dataclass(frozen=True)
class Analysis:
    """Everything the tagger computed for one text: rule scores below the threshold included."""

    rules: dict[str, tuple[float, tuple[str, ...]]]
    vector: dict[str, float] | None = None
    probabilities: dict[str, float] = field(default_factory=dict)
    # Per tag, the damped weight of each rule (its number in the tag's list) that fired; training
    # and evaluation use it to score the same text with a subset of the rules.
    fired: dict[str, dict[int, float]] = field(default_factory=dict)
    # Tags whose rules reached the threshold only before the dampers: the taxonomy has judged their
    # words a mention, praise or policy, so the learned layer may not give them back (see ``vetoed``).
    vetoed: frozenset[str] = frozenset()


def _prepare(text: str) -> tuple[str, list[int]]:
    """Drop quotes, blanks and 《titles》, keeping for each kept char its index in ``text``."""
    folded = normalise(text)
    if "《" not in text and _DROPPED.isdisjoint(folded) and not _BLANK_RE.search(folded):
        return folded, list(range(len(folded)))  # nothing to drop (most texts): the same result, sooner
    titles = {i for m in _TITLE_RE.finditer(text) for i in range(*m.span())}
    index = [i for i, ch in enumerate(folded) if i not in titles and ch not in _DROPPED and not ch.isspace()]
    return "".join(folded[i] for i in index), index


def vetoed_tags(
    taxonomy: Taxonomy,
    fired: dict[str, dict[int, float]],
    threshold: float,
    off: frozenset[tuple[str, int]] = frozenset(),
) -> frozenset[str]:
    """Tags whose fired rules (those in ``off`` left out) reach ``threshold`` at their own weights
    but not at their damped ones: the dampers, not a lack of words, kept the tag off.

    The learned layer adds tags whose wording the rules miss; it is not asked to overrule the
    taxonomy's judgement that the words name a burden only as praised, fixed or forbidden.
    """
    found = []
    for code, weights in fired.items():
        tag = taxonomy.get(code)
        if tag is None:
            continue
        kept = {i: w for i, w in weights.items() if (code, i) not in off}
        if not any(len(tag.rules[i].groups) > 1 or tag.rules[i].weight >= taxonomy.anchor for i in kept):
            continue
        raw = 1.0 - math.prod(1.0 - tag.rules[i].weight for i in kept)
        damped = 1.0 - math.prod(1.0 - w for w in kept.values())
        if raw >= threshold - 1e-9 > damped:
            found.append(code)
    return frozenset(found)


def _jieba() -> Any:
    """The jieba module, imported without ``pkg_resources``.

    jieba imports pkg_resources (deprecated; it scans every installed distribution: 0.15 s of a
    cold start) only to open its own bundled files, and opens them by path when the import fails.
    The import is refused for jieba's import alone (a None entry in ``sys.modules``) and the entry
    removed afterwards, so that anything else may still import pkg_resources."""
    import sys

    if "jieba" in sys.modules:
        return sys.modules["jieba"]
    blocked = "pkg_resources" not in sys.modules
    if blocked:
        sys.modules["pkg_resources"] = None  # type: ignore[assignment]
    try:
        import jieba
    finally:
        if blocked and sys.modules.get("pkg_resources", False) is None:
            del sys.modules["pkg_resources"]
    return jieba


class _DictLines:
    """jieba's own dictionary without its rarest words, read line by line.

    Words jieba has seen at most three times are 57 % of its 349 000 entries and 36 MB of a
    worker's memory; without them such a word is cut into the common words it is made of, which
    matching and search handle alike. The user dictionary is loaded on top as before.
    """

    def __init__(self, min_freq: int) -> None:
        jieba = _jieba()
        self.name = os.path.join(os.path.dirname(jieba.__file__), "dict.txt")
        self.min_freq = min_freq
        self._fh: BinaryIO | None = None  # opened when read: a cached prefix dictionary never reads it

    def __iter__(self) -> Iterator[bytes]:
        self._fh = open(self.name, "rb")  # noqa: SIM115 - jieba's gen_pfdict calls close()
        for line in self._fh:
            parts = line.split(b" ", 2)
            if len(parts) > 1 and int(parts[1]) >= self.min_freq:
                yield line

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()


def _prefix_dict(tok: jieba.Tokenizer, min_freq: int) -> tuple[dict[str, int], int]:
    """jieba's prefix dictionary of ``_DictLines(min_freq)``, kept in a cache file as jieba keeps its
    own (marshal, in the temporary directory): building it takes 0.8 s, a third of a cold start,
    loading it 0.09 s. The file's name carries the dictionary's path, size and time and the
    frequency floor, so a changed dictionary is built again. A file that is not this user's own,
    is writable by others or does not hold a (dict, int) pair is ignored and replaced."""
    import marshal
    import tempfile

    lines = _DictLines(min_freq)
    stat = os.stat(lines.name)
    key = hashlib.sha256(f"{lines.name}|{stat.st_size}|{stat.st_mtime_ns}|{min_freq}".encode()).hexdigest()[:16]
    path = os.path.join(tempfile.gettempdir(), f"feedback-jieba-{key}.cache")
    try:
        with open(path, "rb") as fh:
            own = os.fstat(fh.fileno())
            if own.st_uid == os.getuid() and not own.st_mode & 0o022:
                cached = marshal.loads(fh.read())  # load(fh) reads in small pieces: 4x slower
                if isinstance(cached, tuple) and len(cached) == 2 and isinstance(cached[0], dict):
                    return cached[0], int(cached[1])
    except (OSError, EOFError, ValueError, TypeError):
        pass
    freq, total = tok.gen_pfdict(lines)
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix="feedback-jieba-", suffix=".part")
        with os.fdopen(fd, "wb") as fh:
            marshal.dump((freq, total), fh)
        os.replace(tmp, path)
    except OSError:  # no cache then; the next start builds it again
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
    return freq, total


def _occurrences(text: str, literal: str) -> list[tuple[int, int]]:
    """Spans of ``literal`` in ``text``, left to right and not overlapping (as ``re.finditer`` finds
    an escaped literal): a plain term needs no regex compiled at start-up."""
    spans = []
    at = text.find(literal)
    while at >= 0:
        spans.append((at, at + len(literal)))
        at = text.find(literal, at + len(literal))
    return spans


def _rounded(score: float) -> float:
    return min(max(round(score, 3), 0.001), 1.0)


class _MatcherTable:
    """Every matcher of the tags once, indexed so that a text looks only at the matchers it can hold.

    A plain term is filed under its first two characters (one character for a one-character
    term); a regex under the first two characters of a string every match contains, or else under
    the characters of the smallest set every match needs one of; a whole jieba token apart (the
    tagger looks for it only when a rule needs it). A text then tests only the matchers filed
    under its own characters and character pairs: one pass over the text instead of a test of
    each of the ~900 matchers.
    """

    def __init__(self) -> None:
        self.index: dict[int, int] = {}
        self.literals: list[tuple[int, str]] = []
        self.others: list[tuple[int, Matcher]] = []
        self._by_pair: dict[str, list[tuple[int, str]]] = {}
        self._by_char: dict[str, list[tuple[int, Matcher]]] = {}
        self._always: list[tuple[int, Matcher]] = []
        self._by_pair_other: dict[str, list[tuple[int, Matcher]]] = {}
        # Whole-token matchers ('w:会'): looked at only when a rule needs them (Tagger._with_tokens),
        # since finding them needs the jieba cut of the text.
        self.tokens: list[tuple[int, Matcher]] = []

    def add(self, m: Matcher) -> int:
        if id(m) not in self.index:
            i = self.index[id(m)] = len(self.index)
            if m.literal is not None:
                self.literals.append((i, m.literal))
                self._by_pair.setdefault(m.literal[:2], []).append((i, m.literal))
            elif m.token is not None:
                self.tokens.append((i, m))
            else:
                self.others.append((i, m))
                if m.contains:
                    self._by_pair_other.setdefault(m.contains[:2], []).append((i, m))
                elif m.required:
                    for ch in min(m.required, key=len):
                        self._by_char.setdefault(ch, []).append((i, m))
                else:
                    self._always.append((i, m))
        return self.index[id(m)]

    def candidates(self, norm: str, chars: frozenset[str]) -> tuple[list[tuple[int, str]], list[tuple[int, Matcher]]]:
        """Plain terms and other matchers that may occur in ``norm`` (a superset of those that do)."""
        by_pair, by_char = self._by_pair, self._by_char
        keys = {norm[i : i + 2] for i in range(len(norm))} | chars
        literals = [lm for key in keys & by_pair.keys() for lm in by_pair[key]]
        others = {i: m for ch in chars & by_char.keys() for i, m in by_char[ch]}
        pairs = self._by_pair_other
        others.update((i, m) for key in keys & pairs.keys() for i, m in pairs[key] if m.contains in norm)
        others.update(self._always)
        return literals, sorted(others.items())


_DAG_MEMO_SIZE = 256


class _BlockMemo(threading.local):
    """The DAGs and routes of the blocks of the text a thread is working on (``Tagger.analyse``
    clears it for each new text).

    A submission looks up the same blocks up to three times — for the tagger's whole-word rules,
    its keywords' cut and the search index's words — and the DAG is a third of a cut. Kept per
    thread and per text: one submission's blocks never serve another's (a benchmark that repeats
    its statements would otherwise measure a cut that real, distinct statements never get).
    At most ``_DAG_MEMO_SIZE`` blocks of each (then forgotten at once), for callers that cut text
    without analysing it first (``keywords`` alone, ``segment``).
    """

    def __init__(self) -> None:
        self.dags: dict[str, dict[int, list[int]]] = {}
        self.routes: dict[str, dict[int, tuple[float, int]]] = {}

    def clear(self) -> None:
        self.dags.clear()
        self.routes.clear()

    @staticmethod
    def keep(table: dict[str, Any], block: str, value: Any) -> None:
        """Remember ``value`` for ``block`` in ``table`` (``dags`` or ``routes``), within the bound."""
        if len(table) >= _DAG_MEMO_SIZE:
            table.clear()
        table[block] = value


def _remembering(
    get_dag: Callable[[str], dict[int, list[int]]], memo: _BlockMemo
) -> Callable[[str], dict[int, list[int]]]:
    """jieba's ``get_DAG`` (every dictionary word starting at each position of a block), answered
    from ``memo`` for blocks of the current text. Neither jieba nor the callers here change a DAG
    they are given."""

    def get_DAG(sentence: str) -> dict[int, list[int]]:  # noqa: N802 (jieba's name)
        dag = memo.dags.get(sentence)
        if dag is None:
            dag = get_dag(sentence)
            memo.keep(memo.dags, sentence, dag)
        return dag

    return get_DAG


def _route_finder(
    tok: jieba.Tokenizer, memo: _BlockMemo
) -> Callable[[str, dict[int, list[int]], dict[int, tuple[float, int]]], None]:
    """jieba's ``calc`` (the most probable cut of a block, as a route from each position), with the
    same arithmetic and the same choice among equals, answered from ``memo`` for blocks of the
    current text (the keywords' cut and the tagger's whole-word cut meet the same blocks).

    jieba takes the best of a generator at every position; most positions have one candidate,
    which is taken here without one."""

    def calc(sentence: str, dag: dict[int, list[int]], route: dict[int, tuple[float, int]]) -> None:
        known = memo.routes.get(sentence)
        if known is not None:
            route.update(known)
            return
        freq, log = tok.FREQ, math.log
        n = len(sentence)
        route[n] = (0, 0)
        logtotal = log(tok.total)
        for idx in range(n - 1, -1, -1):
            ends = dag[idx]
            if len(ends) == 1:
                x = ends[0]
                route[idx] = (log(freq.get(sentence[idx : x + 1]) or 1) - logtotal + route[x + 1][0], x)
            else:  # max keeps the first of equals, as jieba's does
                route[idx] = max(
                    (log(freq.get(sentence[idx : x + 1]) or 1) - logtotal + route[x + 1][0], x) for x in ends
                )
        memo.keep(memo.routes, sentence, dict(route))

    return calc


class _Text:
    """One text prepared for matching: normalised string, windows and cached matcher spans."""

    def __init__(self, raw: str, tokenizer: jieba.Tokenizer) -> None:
        self.raw = raw
        self._tokenizer = tokenizer
        self._tokens: dict[str, list[tuple[int, int]]] | None = None
        self._clause_cuts: dict[int, list[tuple[str, int, int]]] = {}
        self.norm, self.index = _prepare(raw)
        self.windows = {
            "sentence": [m.span() for m in _SENTENCE_RE.finditer(self.norm)],
            "clause": [m.span() for m in _CLAUSE_RE.finditer(self.norm)],
            "text": [(0, len(self.norm))],
        }
        self._starts = {k: [s for s, _ in v] for k, v in self.windows.items()}
        self._cache: dict[int, list[tuple[int, int]]] = {}
        self._chars = frozenset(self.norm)

    @property
    def tokens(self) -> dict[str, list[tuple[int, int]]]:
        """jieba's cut of the text (word -> spans), made on first use: most texts never need it."""
        if self._tokens is None:
            self._tokens = {}
            for word, start, end in self._tokenizer.tokenize(self.norm, HMM=False):
                self._tokens.setdefault(word, []).append((start, end))
        return self._tokens

    def token_spans(self, token: str) -> list[tuple[int, int]]:
        """Where jieba cuts ``token`` as a whole word. Only the clauses holding its characters are
        cut: jieba never joins characters across the punctuation that ends a clause, so a clause
        is cut exactly as it is inside the whole text."""
        if self._tokens is not None:
            return self._tokens.get(token, [])
        found = []
        for lo, hi in self.windows["clause"]:
            if token in self.norm[lo:hi]:
                cut = self._clause_cuts.get(lo)
                if cut is None:
                    cut = self._clause_cuts[lo] = list(self._tokenizer.tokenize(self.norm[lo:hi], HMM=False))
                found += [(lo + start, lo + end) for word, start, end in cut if word == token]
        return found

    def spans(self, m: Matcher) -> list[tuple[int, int]]:
        key = id(m)
        found = self._cache.get(key)
        if found is None:
            if m.token is not None:
                found = self.token_spans(m.token)
            elif (
                (m.literal is not None and m.literal not in self.norm)
                or (m.contains and m.contains not in self.norm)
                or any(needed.isdisjoint(self._chars) for needed in m.required)
            ):
                found = []
            elif m.literal is not None:
                found = _occurrences(self.norm, m.literal)
            else:
                found = [x.span() for x in m.regex.finditer(self.norm) if x.end() > x.start()] if m.regex else []
            self._cache[key] = found
        return found

    def live(self, matchers: _MatcherTable) -> frozenset[int]:
        """Indices of the matchers found in the text; one tight pass instead of one call per rule."""
        norm, chars, spans = self.norm, self._chars, self.spans
        literals, others = matchers.candidates(norm, chars)
        found = [i for i, literal in literals if literal in norm]
        for i, m in others:
            for needed in m.required:
                if needed.isdisjoint(chars):
                    break
            else:
                if spans(m):
                    found.append(i)
        return frozenset(found)

    def window_of(self, kind: str, pos: int) -> tuple[int, int]:
        i = bisect_right(self._starts[kind], pos) - 1
        return self.windows[kind][i] if i >= 0 else (pos, pos)

    def original(self, span: tuple[int, int]) -> str:
        return self.raw[self.index[span[0]] : self.index[span[1] - 1] + 1]

    def candidates(self, rule: Rule) -> list[tuple[tuple[int, int], ...]]:
        """Each way the rule fires: one span per group, all inside one window."""
        if len(rule.groups) == 1:
            return [(s,) for m in rule.groups[0] for s in self.spans(m)]
        by_group = []
        for group in rule.groups:
            spans = [s for m in group for s in self.spans(m)]
            if not spans:
                return []  # most patterns stop here: one group has nothing in the whole text
            by_group.append(spans)
        found = []
        for lo, hi in self.windows[rule.within]:
            picked = [min((s for s in spans if lo <= s[0] and s[1] <= hi), default=None) for spans in by_group]
            if None not in picked:
                found.append(tuple(s for s in picked if s is not None))
        return found


class Tagger:
    """Scores texts against a taxonomy; cheap to build, jieba is loaded on first use."""

    def __init__(
        self,
        taxonomy: Taxonomy,
        userdict_path: str | os.PathLike[str] | None = None,
        threshold: float | None = None,
        model: TagModel | None = None,
        min_word_freq: int = MIN_WORD_FREQ,
    ) -> None:
        if userdict_path is not None and not os.path.isfile(userdict_path):
            raise FileNotFoundError(f"jieba user dictionary not found: {os.fspath(userdict_path)}")
        self.taxonomy = taxonomy
        self.model = model
        self.min_word_freq = min_word_freq
        self.threshold = taxonomy.threshold if threshold is None else float(threshold)
        self._userdict = None if userdict_path is None else os.fspath(userdict_path)
        self._lock = threading.Lock()
        self._tokenizer: jieba.Tokenizer | None = None
        self._memo = _BlockMemo()
        self._idf: IdfTable | None = None
        # Every matcher of the tags once, and per rule the matcher indices of each group, so a
        # rule none of whose words is in the text is skipped without being looked at.
        self._matchers = _MatcherTable()
        mods = taxonomy.modifiers
        rules = [rule for tag in taxonomy.tags for rule in tag.rules] + list(mods.praise)
        self._groups: dict[int, tuple[frozenset[int], ...]] = {
            id(rule): tuple(frozenset(self._matchers.add(m) for m in group) for group in rule.groups) for rule in rules
        }
        # The dampers' cues are looked for in every text, like the rules' words.
        cues = (
            *mods.mention_cues,
            *mods.contrast_cues,
            *mods.after_cues,
            *mods.past_cues,
            *mods.now_cues,
            *mods.worse_cues,
        )
        for m in cues:
            self._matchers.add(m)
        # Matcher index -> the (tag, rule number) pairs it appears in: from the words found in a
        # text straight to the few rules worth looking at.
        self._rules_of: dict[int, list[tuple[str, int]]] = {}
        for tag in taxonomy.tags:
            for number, rule in enumerate(tag.rules):
                for i in frozenset().union(*self._groups[id(rule)]):
                    self._rules_of.setdefault(i, []).append((tag.code, number))
        # Whole-token matcher index -> the groups of each rule it is in (praise rules too), and
        # the matchers that are whole tokens: a token is looked for only if such a rule could fire.
        token_ids = frozenset(i for i, _ in self._matchers.tokens)
        self._token_rules: dict[int, list[tuple[frozenset[int], ...]]] = {}
        for rule in rules:
            groups = self._groups[id(rule)]
            for i in frozenset().union(*groups) & token_ids:
                self._token_rules.setdefault(i, []).append(groups)
        for m in cues:
            if m.token is not None:  # a cue is looked for whenever its characters are in the text
                self._token_rules.setdefault(self._matchers.index[id(m)], []).append(())
        self._token_ids = token_ids

    def share_tokenizer(self, other: Tagger) -> None:
        """Use another tagger's loaded jieba tokenizer (same user dictionary and word list)."""
        if (
            other._tokenizer is not None
            and other._userdict == self._userdict
            and other.min_word_freq == self.min_word_freq
        ):
            self._tokenizer = other._tokenizer

    def with_taxonomy(self, taxonomy: Taxonomy) -> Tagger:
        """A rules-only tagger for another taxonomy with this one's dictionary and loaded jieba
        (evaluation scores variants of the taxonomy with it)."""
        other = Tagger(taxonomy, self._userdict, min_word_freq=self.min_word_freq)
        other.share_tokenizer(self)
        return other

    def dampers(self, text: str) -> tuple[frozenset[int], frozenset[int], frozenset[int], bool]:
        """Numbers of the praise rules that fire, of the mention cues and of the after cues found in
        the text (in the taxonomy's order), and whether a past and a now cue are both in it;
        evaluation uses it to see which dampers a statement relies on."""
        doc = _Text(text, self._tok())
        live = self._with_tokens(doc, doc.live(self._matchers))
        mods = self.taxonomy.modifiers
        praise = frozenset(i for i, r in enumerate(mods.praise) if self._fires(r, live) and doc.candidates(r))
        index = self._matchers.index
        cues = frozenset(i for i, m in enumerate(mods.mention_cues) if index[id(m)] in live and doc.spans(m))
        after = frozenset(i for i, m in enumerate(mods.after_cues) if index[id(m)] in live and doc.spans(m))
        past = all(any(index[id(m)] in live and doc.spans(m) for m in ms) for ms in (mods.past_cues, mods.now_cues))
        return praise, cues, after, past

    def warm_up(self) -> None:
        """Load jieba and its IDF table now (before gunicorn forks its workers, see wsgi.py) instead of
        on the first request: loaded once, their pages are shared by every worker."""
        self._tok()
        self._idf_table()

    def _tok(self) -> jieba.Tokenizer:
        if self._tokenizer is None:
            with self._lock:
                if self._tokenizer is None:
                    jieba = _jieba()
                    jieba.setLogLevel(logging.WARNING)
                    tok = jieba.Tokenizer()
                    if self.min_word_freq > 1:
                        tok.FREQ, tok.total = _prefix_dict(tok, self.min_word_freq)
                        tok.initialized = True
                    else:
                        tok.initialize()
                    if self._userdict:
                        with open(self._userdict, "rb") as fh:
                            tok.load_userdict(fh)
                    tok.get_DAG = _remembering(tok.get_DAG, self._memo)
                    tok.calc = _route_finder(tok, self._memo)
                    self._tokenizer = tok
        return self._tokenizer

    @property
    def version(self) -> str:
        """Recorded on every automatic tag: which rules and which model decided."""
        rules = f"rules-{self.taxonomy.version}"
        return rules if self.model is None else f"{rules}+{self.model.version}"

    def analyse(self, text: str, vector: bool = True) -> Analysis:
        """Rule scores of every tag (unthresholded) and the learned layer's feature vector and
        probabilities; training and evaluation use this to see what ``tag`` decides from.

        A new text begins here: the blocks jieba cut for the thread's last text are forgotten, so
        ``keywords`` and ``segment`` of this text reuse only this text's cuts."""
        self._memo.clear()
        doc = _Text(text, self._tok())
        live = self._with_tokens(doc, doc.live(self._matchers))
        factor = self._factors(doc, live)
        worth: dict[str, set[int]] = {}
        for i in live:
            for code, number in self._rules_of.get(i, ()):
                worth.setdefault(code, set()).add(number)
        rules: dict[str, tuple[float, tuple[str, ...]]] = {}
        fired: dict[str, dict[int, float]] = {}
        for tag in self.taxonomy.tags:
            if tag.code not in worth:
                continue
            best = self._best(tag, doc, factor, live, worth[tag.code])
            if best:
                fired[tag.code] = {i: w for i, (w, _) in best.items()}
            found = self._score(tag, doc, best)
            if found:
                rules[tag.code] = found
        vetoed = vetoed_tags(self.taxonomy, fired, self.threshold)
        if not vector and self.model is None:
            return Analysis(rules, fired=fired, vetoed=vetoed)
        from feedback.tag_model import features

        # jieba words are features only of a model trained with them (format 1 files); the
        # character n-grams carry the same evidence and spare most texts the cut.
        words = doc.tokens if self.model is not None and self.model.uses_words else ()
        values = features(doc.norm, words, {code: score for code, (score, _) in rules.items()})
        probabilities = self.model.probabilities(values) if self.model is not None else {}
        values.update(("v:" + code, 1.0) for code in vetoed)  # read by tag_train.decide, never a feature
        return Analysis(rules, values, probabilities, fired, vetoed)

    def tag(self, text: str) -> list[TagHit]:
        """Multi-label tags, best first; [] when nothing fires.

        A tag is given when its rule score reaches the threshold (the taxonomy stays the main
        control), or when the learned model is confident on its own (probability at least the
        model's threshold for that tag): it adds the statements whose wording the rules miss.
        The score is the larger of the two; ``learned`` names the words the model weighed most.
        """
        if not text or not text.strip():
            return []
        found = self.analyse(text, vector=False)
        hits = []
        for tag in self.taxonomy.tags:
            score, matched = found.rules.get(tag.code, (0.0, ()))
            by_rules = score > 0 and score >= self.threshold - 1e-9
            weights = self.model.tags.get(tag.code) if self.model is not None else None
            p = found.probabilities.get(tag.code, 0.0)
            by_model = weights is not None and p >= weights.threshold and tag.code not in found.vetoed
            if not (by_rules or by_model):
                continue
            learned = tuple(w for w, _ in weights.evidence(found.vector or {})) if by_model and weights else ()
            best = max(score if by_rules else 0.0, p if by_model else 0.0)
            hits.append(TagHit(tag.code, tag.name, _rounded(best), matched, learned))
        return sorted(hits, key=lambda h: -h.score)

    def _best(
        self, tag: TagDefinition, doc: _Text, factor: _Factor, live: frozenset[int], worth: set[int]
    ) -> dict[int, tuple[float, tuple[tuple[int, int], ...]]]:
        """The best (damped weight, spans) of each rule of the tag that fires; each rule once."""
        rules = tag.rules
        found = [(i, c) for i in sorted(worth) if self._fires(rules[i], live) for c in doc.candidates(rules[i])]
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
        return best

    def _score(
        self, tag: TagDefinition, doc: _Text, best: dict[int, tuple[float, tuple[tuple[int, int], ...]]]
    ) -> tuple[float, tuple[str, ...]] | None:
        """Noisy-OR of the best firing of each rule, with the spans that fired as evidence."""
        # Supporting words alone ("表格", "报送") are how neutral notices talk too: a tag needs
        # one anchor, a term weighted at least `anchor` or a co-occurrence pattern.
        fired = [tag.rules[i] for i in best]
        if not any(len(r.groups) > 1 or r.weight >= self.taxonomy.anchor for r in fired):
            return None
        score = 1.0 - math.prod(1.0 - w for w, _ in best.values())
        if score <= 0:
            return None
        ranked = sorted(best.values(), key=lambda wc: -wc[0])
        matched = dict.fromkeys(doc.original(s) for _, cand in ranked for s in cand)
        return score, tuple(matched)

    def _with_tokens(self, doc: _Text, live: frozenset[int]) -> frozenset[int]:
        """Add the whole-token matchers found in the text, cutting it with jieba only when a rule
        with such a matcher has every other group in the text (and the token's characters are)."""
        tokens = self._token_ids
        found = []
        for i, m in self._matchers.tokens:
            if m.token is None or not set(m.token) <= doc._chars:
                continue
            if any(
                all(not g.isdisjoint(live) or not g.isdisjoint(tokens) for g in groups if i not in g)
                for groups in self._token_rules.get(i, ())
            ) and doc.spans(m):
                found.append(i)
        return live | frozenset(found) if found else live

    def _fires(self, rule: Rule, live: frozenset[int]) -> bool:
        """Could the rule fire: has every one of its groups a word in the text?"""
        for group in self._groups[id(rule)]:
            if group.isdisjoint(live):
                return False
        return True

    def _factors(self, doc: _Text, live: frozenset[int]) -> _Factor:
        """Return a function giving the damping factor of one candidate match."""
        mods = self.taxonomy.modifiers
        window = doc.window_of
        index = self._matchers.index
        contrast = {window("sentence", s) for m in mods.contrast_cues if index[id(m)] in live for s, _ in doc.spans(m)}
        praised = {window("sentence", c[0][0]) for r in mods.praise if self._fires(r, live) for c in doc.candidates(r)}
        praised -= contrast
        cues = [s for m in mods.mention_cues if index[id(m)] in live for s in doc.spans(m)]
        after = [s for m in mods.after_cues if index[id(m)] in live for s in doc.spans(m)]
        past = [s for m in mods.past_cues if index[id(m)] in live for s in doc.spans(m)]
        now = [a for m in mods.now_cues if index[id(m)] in live for a, _ in doc.spans(m)] if past else []
        if now:
            worse = [
                a for m in (*mods.contrast_cues, *mods.worse_cues) if index[id(m)] in live for a, _ in doc.spans(m)
            ]
            # a "now" that is not followed in its sentence by a contrast ("现在反而更多了")
            now_clean = [a for a in now if not any(a < w < window("sentence", a)[1] for w in worse)]

        def factor(cand: tuple[tuple[int, int], ...]) -> float:
            start = min(s for s, _ in cand)
            result = mods.praise_factor if window("sentence", start) in praised else 1.0
            # A fix verb governs the burden word it precedes ("避免了干部疲于奔波参会"): the last
            # span of a co-occurrence is the one it must precede.
            last, end = max(cand)
            lo, hi = window("clause", last)
            if any(lo <= a and b <= last and last - b <= mods.mention_gap for a, b in cues) or (
                # ... or a fix predicate follows it ("陪同调研等现象大为减少"), unless the sentence
                # says the fix did not work ("会议减了数量却长了时间").
                after
                and window("sentence", last) not in contrast
                and any(last < a and b <= hi and a - end <= mods.after_gap for a, b in after)
            ):
                result *= mods.mention_factor
            if now:
                # A past cue before the match in its sentence, no "now" between them, and a clean
                # "now" after the match: the burden is told as what the improvement ended.
                lo = window("sentence", start)[0]
                before = [a for a, b in past if lo <= a and b <= start]
                if before and not any(max(before) < a < start for a in now) and any(a >= end for a in now_clean):
                    result *= mods.past_factor
            return result

        return factor

    def words(self, text: str) -> list[str]:
        """jieba's words of the text as the rules see it (folded, quotes and 《titles》 dropped)."""
        return list(_Text(text, self._tok()).tokens)

    def segment(self, text: str) -> list[str]:
        """Search-mode tokens of the folded text, for full-text indexing (and for queries)."""
        return [w for w in self._tok().cut_for_search(normalise(text)) if _WORD_RE.search(w)]

    def dictionary_spans(self, text: str) -> list[tuple[int, int]]:
        """(start, end) of every dictionary word (user dictionary included) longer than one
        character that occurs anywhere in ``text``, overlaps and all (jieba's full mode).

        Unlike a segmentation this does not depend on the surrounding text, so a word found in
        a query is found in every text that contains the query (see ``services.admin.search``).
        """
        dag = self._tok().get_DAG(text)
        return [(k, j + 1) for k, ends in dag.items() for j in ends if j > k]

    def keywords(self, text: str, top_k: int = 10) -> list[str]:
        """TF-IDF keywords (jieba's IDF table, loaded on first call) for summaries."""
        return self.rank_keywords(self.keyword_counts(text), top_k)

    def keyword_counts(self, text: str) -> Counter[str]:
        """The candidate keywords of ``text`` and how often each occurs, in order of first occurrence.

        jieba cuts a text block by block, blocks ending at punctuation, so the counts of texts joined
        at punctuation are the counts of each added up in order (the benchmark's generator relies on it).
        """
        return Counter(w for w in self._tok().cut(normalise(text)) if len(w) > 1 and _WORD_RE.search(w))

    def rank_keywords(self, words: Counter[str], top_k: int = 10) -> list[str]:
        """The ``top_k`` of ``keyword_counts`` by TF-IDF, ties in order of first occurrence."""
        idf = self._idf_table()
        return sorted(words, key=lambda w: -words[w] * idf.get(w, idf.median))[:top_k]

    def _idf_table(self) -> IdfTable:
        with self._lock:
            if self._idf is None:
                jieba = _jieba()
                self._idf = IdfTable.from_file(os.path.join(os.path.dirname(jieba.__file__), "analyse", "idf.txt"))
            return self._idf
