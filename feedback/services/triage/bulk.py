"""One triage decision on several feedback items at once, all or nothing.

Each item goes through the same command as a single decision (``decisions.retag`` / ``merge`` /
``reject``); the first item refused stops the whole batch with a message naming it, and the caller
rolls the transaction back, so either every selected item changed or none did.
"""

from __future__ import annotations

from collections.abc import Callable

from feedback.errors import AppError, ValidationFailed
from feedback.models import Feedback
from feedback.services.handling.actors import Actor
from feedback.services.triage import decisions

MAX_ITEMS = 100


def _why(error: AppError) -> str:
    """The refusal in one line: a validation error's field messages, otherwise its message."""
    if isinstance(error, ValidationFailed) and error.errors:
        messages = (m for ms in error.errors.values() for m in (ms if isinstance(ms, list) else [ms]))
        return "；".join(map(str, messages))
    return error.message


def _each(actor: Actor, feedback_ids: list[int], change: Callable[[Actor, Feedback], None]) -> list[Feedback]:
    ids = list(dict.fromkeys(feedback_ids))
    if not ids:
        raise ValidationFailed("请先勾选要处理的反映")
    if len(ids) > MAX_ITEMS:
        raise ValidationFailed(f"一次最多处理 {MAX_ITEMS} 条反映")
    done = []
    for feedback_id in ids:
        try:
            feedback = decisions.get_feedback(feedback_id)
            change(actor, feedback)
        except AppError as error:
            raise type(error)(
                f"反映 #{feedback_id} 无法处理：{_why(error)}。本次勾选的反映均未改动", code=error.code
            ) from None
        done.append(feedback)
    return done


def retag(actor: Actor, feedback_ids: list[int], codes: list[str], note: str | None = None) -> list[Feedback]:
    """The same tags for every selected item (they replace each item's tags)."""
    if not codes:
        raise ValidationFailed("请至少选择一个标签")
    return _each(actor, feedback_ids, lambda a, f: decisions.retag(a, f, codes, note))


def merge(actor: Actor, feedback_ids: list[int], target_id: int, note: str | None = None) -> list[Feedback]:
    """Every selected item but ``target_id`` merged into it; the target must be one of the selected."""
    if target_id not in feedback_ids:
        raise ValidationFailed("合并后保留的反映须是勾选的反映之一，请重新选择")
    others = [i for i in feedback_ids if i != target_id]
    if not others:
        raise ValidationFailed("合并至少需要勾选两条反映")
    return _each(actor, others, lambda a, f: decisions.merge(a, f, target_id, note))


def reject(actor: Actor, feedback_ids: list[int], reason: str) -> list[Feedback]:
    """不予受理 with one reason for every selected item (the reporter of each reads it)."""
    decisions.check_reason(reason)
    return _each(actor, feedback_ids, lambda a, f: decisions.reject(a, f, reason))
