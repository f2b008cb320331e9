"""Which console page a notice leads to, and its address under CONSOLE_BASE_URL.

One rule, used twice: when a notice is queued (the full link goes into its text, for e-mail and
robots) and when the console lists it (a link to the same page on whatever host the user is on).
The page follows from the notice's kind and payload, so notices queued before this rule existed
(the deadline watch's reminders) link to their assignment as well.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import current_app

# Notices about a feedback as a whole (the org department acts on the feedback, not on one assignment).
FEEDBACK_PAGE_KINDS = frozenset({"reporter_answered", "rated_unsatisfied"})


@dataclass(frozen=True)
class ConsolePage:
    endpoint: str
    path: str
    values: dict[str, int] = field(default_factory=dict)


def assignment_page(assignment_id: int) -> ConsolePage:
    return ConsolePage(
        "console.assignment_detail", f"/console/assignments/{assignment_id}", {"assignment_id": assignment_id}
    )


def feedback_page(feedback_id: int) -> ConsolePage:
    return ConsolePage("console.feedback_detail", f"/console/feedback/{feedback_id}", {"feedback_id": feedback_id})


def page_for(kind: str, payload: dict[str, Any] | None) -> ConsolePage | None:
    """The page a notice of ``kind`` leads to; None when it concerns no page (e.g. holiday data)."""
    payload = payload or {}
    if kind in FEEDBACK_PAGE_KINDS and payload.get("feedback_id"):
        return feedback_page(int(payload["feedback_id"]))
    if payload.get("assignment_id"):
        return assignment_page(int(payload["assignment_id"]))
    if payload.get("feedback_id"):
        return feedback_page(int(payload["feedback_id"]))
    return None


def absolute(page: ConsolePage) -> str:
    """The page's full address, as it goes into an e-mail or a robot message."""
    return current_app.config["CONSOLE_BASE_URL"].rstrip("/") + page.path
