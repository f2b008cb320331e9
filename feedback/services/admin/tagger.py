"""One Tagger per taxonomy/dictionary/model triple, built on first use and shared by app instances."""

from __future__ import annotations

import os
import threading

from flask import current_app

from feedback.tag_model import TagModel
from feedback.tagging import Tagger, Taxonomy

_lock = threading.Lock()
_cache: dict[tuple, Tagger] = {}


def _mtime(path: str) -> float | None:
    if not path:
        return None
    try:
        return os.stat(path).st_mtime  # one system call (exists() and getmtime() were two)
    except FileNotFoundError:
        return None


def _key(taxonomy_path: str, userdict_path: str, model_path: str) -> tuple:
    # The modification times are part of the key, so an edited taxonomy or a retrained model is
    # picked up without a restart.
    return (
        taxonomy_path,
        os.stat(taxonomy_path).st_mtime,
        userdict_path,
        _mtime(userdict_path),
        model_path,
        _mtime(model_path),
    )


def get_tagger() -> Tagger:
    config = current_app.config
    key = _key(config["TAXONOMY_PATH"], config["USERDICT_PATH"], config["TAGGER_MODEL_PATH"])
    tagger = _cache.get(key)
    if tagger is None:
        with _lock:
            tagger = _cache.get(key)
            if tagger is None:
                model = TagModel.load(key[4]) if key[5] is not None else None
                tagger = Tagger(
                    Taxonomy.load(key[0]), userdict_path=key[2] if key[3] is not None else None, model=model
                )
                # A retrained model or an edited taxonomy keeps the loaded jieba dictionary (30 MB,
                # 0.4 s) when the user dictionary is the same file as before.
                for old_key, old in _cache.items():
                    if old_key[2:4] == key[2:4]:
                        tagger.share_tokenizer(old)
                _cache.clear()
                _cache[key] = tagger
    return tagger
