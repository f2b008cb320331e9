"""The learned layer of the tagger: one linear model per tag, scored in pure Python.

Training (``feedback.tag_train``, scikit-learn) writes the weights to a small JSON file; this module
only reads that file and computes a dot product, so a web worker never imports numpy, scipy or
scikit-learn (memory and start-up stay small). The features are the same function for training
and scoring (``features``): jieba tokens, character 2- and 3-grams, and the rule scores of every
tag, so the model learns when to trust a rule and which words carry a burden the rules miss.

Pure Python, no Flask.
"""

from __future__ import annotations

import gzip
import json
import math
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["FORMAT", "ModelError", "TagModel", "TagWeights", "features"]

FORMAT = 1
_CJK_OR_WORD = re.compile(r"[0-9a-z\u4e00-\u9fff]")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")


class ModelError(ValueError):
    """The model file cannot be used; the message says why."""


def features(norm: str, tokens: Iterable[str], rule_scores: Mapping[str, float]) -> dict[str, float]:
    """Sparse feature vector of one prepared text.

    Text features are binary and L2-normalised together, so a long statement does not outweigh a
    short one; rule scores (``r:code``) are added as they are, in [0, 1].
    """
    names: set[str] = {"w:" + t for t in tokens if _CJK_OR_WORD.search(t)}
    for run in _CJK_RUN.findall(norm):
        names.update(["c:" + run[i : i + 2] for i in range(len(run) - 1)])
        names.update(["c:" + run[i : i + 3] for i in range(len(run) - 2)])
    value = 1.0 / math.sqrt(len(names)) if names else 0.0
    vector = dict.fromkeys(names, value)
    for code, score in rule_scores.items():
        if score > 0:
            vector["r:" + code] = float(score)
    return vector


@dataclass(frozen=True)
class TagWeights:
    code: str
    bias: float
    threshold: float
    weights: dict[str, float]

    def probability(self, vector: Mapping[str, float]) -> float:
        z = self.bias + sum(self.weights.get(f, 0.0) * v for f, v in vector.items())
        return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))

    def evidence(self, vector: Mapping[str, float], top: int = 5) -> list[tuple[str, float]]:
        """The text features that pushed hardest towards the tag (rule scores are shown as rules)."""
        pushes = [
            (f, self.weights[f] * v)
            for f, v in vector.items()
            if f in self.weights and not f.startswith("r:") and self.weights[f] > 0 and len(f) > 3
        ]
        pushes.sort(key=lambda fv: (-fv[1], fv[0]))
        shown: dict[str, float] = {}
        for f, c in pushes:  # a word and the same characters as an n-gram are one piece of evidence
            if len(shown) < top and f[2:] not in shown:
                shown[f[2:]] = round(c, 3)
        return list(shown.items())


class TagModel:
    """Per-tag linear weights with a version; ``probabilities`` is the whole inference."""

    def __init__(self, version: str, tags: dict[str, TagWeights], meta: dict[str, Any] | None = None) -> None:
        self.version = version
        self.tags = tags
        self.meta = meta or {}
        # Does any weight name a jieba word ("w:…")? Then scoring needs the text's jieba cut.
        self.uses_words = any(name.startswith("w:") for t in tags.values() for name in t.weights)
        # Feature -> (tag, weight) pairs: one pass over a text's features scores every tag.
        self._index: dict[str, list[tuple[str, float]]] = {}
        for code, weights in tags.items():
            for name, weight in weights.weights.items():
                self._index.setdefault(name, []).append((code, weight))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> TagModel:
        source = os.fspath(path)
        opener = gzip.open if source.endswith(".gz") else open
        try:
            with opener(source, "rt", encoding="utf-8") as fh:
                return cls.from_dict(json.load(fh))
        except OSError as exc:
            raise ModelError(f"{source}: cannot read: {exc.strerror or exc}") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ModelError(f"{source}: not a model file: {exc}") from None
        except ModelError as exc:
            raise ModelError(f"{source}: {exc}") from None

    @classmethod
    def from_dict(cls, data: Any) -> TagModel:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ModelError(f"unsupported model format (expected format {FORMAT})")
        try:
            tags = {
                code: TagWeights(
                    code, float(t["bias"]), float(t["threshold"]), {str(f): float(w) for f, w in t["weights"].items()}
                )
                for code, t in data["tags"].items()
            }
            return cls(str(data["version"]), tags, data.get("meta") or {})
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ModelError(f"malformed model: {exc!r}") from None

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": self.version,
            "meta": self.meta,
            "tags": {
                code: {"bias": t.bias, "threshold": t.threshold, "weights": dict(sorted(t.weights.items()))}
                for code, t in sorted(self.tags.items())
            },
        }

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write deterministically (sorted keys, fixed rounding) so equal models are equal files."""
        target = os.fspath(path)
        text = json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True, indent=0)
        opener = gzip.open if target.endswith(".gz") else open
        tmp = target + ".tmp"
        with opener(tmp, "wt", encoding="utf-8") as fh:
            fh.write(text + "\n")
        os.replace(tmp, target)

    def probabilities(self, vector: Mapping[str, float]) -> dict[str, float]:
        z = {code: t.bias for code, t in self.tags.items()}
        index = self._index
        for name in index.keys() & vector.keys():
            value = vector[name]
            for code, weight in index[name]:
                z[code] += weight * value
        return {code: 1.0 / (1.0 + math.exp(-max(min(s, 40.0), -40.0))) for code, s in z.items()}
