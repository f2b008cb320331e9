"""Purpose-specific keys derived from SECRET_KEY."""

from __future__ import annotations

from functools import lru_cache

from flask import current_app

from feedback.privacy import derive_key


@lru_cache(maxsize=64)
def _derived(secret: str | bytes, purpose: str) -> bytes:
    # HKDF is deterministic: derive each (secret, purpose) key once per process, not per request.
    return derive_key(secret, purpose)


def purpose_key(purpose: str) -> bytes:
    return _derived(current_app.config["SECRET_KEY"], purpose)
