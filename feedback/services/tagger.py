"""One Tagger per taxonomy/dictionary pair, built on first use and shared by app instances."""

from __future__ import annotations

import os
import threading

from flask import current_app

from feedback.tagging import Tagger, Taxonomy

_lock = threading.Lock()
_cache: dict[tuple, Tagger] = {}


def _key(taxonomy_path: str, userdict_path: str) -> tuple:
    # The modification times are part of the key, so an edited taxonomy is picked up without a restart.
    return (taxonomy_path, os.path.getmtime(taxonomy_path), userdict_path,
            os.path.getmtime(userdict_path) if userdict_path and os.path.exists(userdict_path) else None)


def get_tagger() -> Tagger:
    key = _key(current_app.config["TAXONOMY_PATH"], current_app.config["USERDICT_PATH"])
    tagger = _cache.get(key)
    if tagger is None:
        with _lock:
            tagger = _cache.get(key)
            if tagger is None:
                tagger = Tagger(Taxonomy.load(key[0]), userdict_path=key[2] if key[3] is not None else None)
                _cache.clear()
                _cache[key] = tagger
    return tagger
