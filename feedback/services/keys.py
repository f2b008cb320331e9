"""Purpose-specific keys derived from SECRET_KEY."""

from __future__ import annotations

from flask import current_app

from feedback.privacy import derive_key


def purpose_key(purpose: str) -> bytes:
    return derive_key(current_app.config["SECRET_KEY"], purpose)
