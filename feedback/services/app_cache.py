"""Reference data kept per app for a short time: read by every submission, changed only by ``flask seed``.

Each entry is loaded on first use and kept in the app for ``CACHE_SECONDS`` (the values are
immutable, safe to share between a worker's threads). ``flask seed`` forgets every entry in its own
process at once; a seed run by another process (the usual case: the operator's command line)
reaches the web workers within ``CACHE_SECONDS``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from flask import current_app

__all__ = ["CACHE_SECONDS", "cached", "forget"]

CACHE_SECONDS = 60.0
_CACHE = "reference_cache"
T = TypeVar("T")


def cached(name: str, load: Callable[[], T]) -> T:
    """This app's ``name`` entry while it is younger than ``CACHE_SECONDS``, else ``load()`` kept anew."""
    entries: dict[str, tuple[float, object]] = current_app.extensions.setdefault(_CACHE, {})
    entry = entries.get(name)
    moment = time.monotonic()
    if entry is not None and moment - entry[0] < CACHE_SECONDS:
        return entry[1]  # type: ignore[return-value]
    value = load()
    entries[name] = (moment, value)
    return value


def forget() -> None:
    """Drop every entry (after the reference data changed in this process)."""
    current_app.extensions.pop(_CACHE, None)
