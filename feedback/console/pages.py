"""What every console page does the same way: paging from the URL, one action per request.

An action runs one service change in one transaction: on success it commits, leaves a one-shot
message for the next page and redirects there (so a reload never posts twice); on a refused action
(any ``AppError``) it rolls back and returns to the page with the reason in Chinese.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from flask import flash, redirect, request
from werkzeug.wrappers import Response

from feedback.errors import AppError, ValidationFailed
from feedback.extensions import db

PER_PAGE_CHOICES = (20, 50, 100)


@dataclass(frozen=True)
class Paging:
    page: int
    per_page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def paging(default_per_page: int = 20) -> Paging:
    """page / per_page from the query string; anything odd falls back to the first page."""

    def number(name: str, default: int) -> int:
        raw = request.args.get(name, "")
        return int(raw) if raw.isdigit() and 0 < int(raw) < 10**6 else default

    per_page = number("per_page", default_per_page)
    return Paging(number("page", 1), per_page if per_page in PER_PAGE_CHOICES else default_per_page)


def choice(name: str, allowed: Collection[str], default: str = "") -> str:
    """A filter of the URL that must be one of ``allowed``; anything else is the default."""
    value = request.args.get(name, default)
    return value if value in allowed else default


def after_cursor() -> int | None:
    """The keyset cursor of a 下一页 link (``after``), when the URL has a valid one."""
    raw = request.args.get("after", "")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 2**63 else None


def error_text(error: AppError) -> str:
    """One line for a banner; field errors (ValidationFailed) are listed after the message."""
    if isinstance(error, ValidationFailed) and error.errors:
        details = "；".join(
            f"{'；'.join(map(str, messages)) if isinstance(messages, list) else messages}"
            for messages in error.errors.values()
        )
        return f"{error.message}：{details}" if error.message else details
    return error.message


def act(change: Callable[[], Any], done: str, back: str) -> Response:
    """Run ``change`` in this request's transaction and redirect to ``back`` with a message."""
    try:
        change()
    except AppError as error:
        db.session.rollback()
        flash(error_text(error), "error")
        return redirect(back)
    db.session.commit()
    flash(done, "success")
    return redirect(back)
