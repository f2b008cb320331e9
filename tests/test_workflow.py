"""The transition table: who may do what from which state, and what the refusal says."""

from __future__ import annotations

import pytest

from feedback.workflow import (
    ASSIGNMENT_STATUS_LABELS,
    ASSIGNMENT_TRANSITIONS,
    FEEDBACK_STATUS_LABELS,
    FEEDBACK_TRANSITIONS,
    TransitionNotAllowed,
    check_assignment,
    check_feedback,
)


def test_every_state_named_in_the_tables_has_a_chinese_label():
    for transition in FEEDBACK_TRANSITIONS.values():
        assert set(transition.sources) <= set(FEEDBACK_STATUS_LABELS)
        assert transition.target is None or transition.target in FEEDBACK_STATUS_LABELS
    for transition in ASSIGNMENT_TRANSITIONS.values():
        assert set(transition.sources) <= set(ASSIGNMENT_STATUS_LABELS)
        assert transition.target is None or transition.target in ASSIGNMENT_STATUS_LABELS


def test_refusal_names_the_current_state():
    with pytest.raises(TransitionNotAllowed) as refused:
        check_feedback("assign", "closed", "triage")
    assert refused.value.reason == "state"
    assert refused.value.message == "该反映当前状态为“已办结”，不能执行“交办”"


def test_wrong_role_is_refused_before_the_state_is_considered():
    with pytest.raises(TransitionNotAllowed) as refused:
        check_assignment("accept", "pending", "handler")
    assert refused.value.reason == "role" and "无权" in refused.value.message


@pytest.mark.parametrize(
    ("action", "status", "role", "target"),
    [
        ("assign", "submitted", "triage", "assigned"),
        ("convene", "submitted", "admin", "in_consultation"),
        ("ask_reporter", "assigned", "triage", "needs_info"),
        ("reopen", "closed", "reporter", "submitted"),
    ],
)
def test_allowed_feedback_moves(action, status, role, target):
    assert check_feedback(action, status, role).target == target


@pytest.mark.parametrize(
    ("action", "status"),
    [
        ("acknowledge", "acknowledged"),
        ("respond", "pending"),
        ("return", "responded"),
    ],
)
def test_department_cannot_skip_steps(action, status):
    with pytest.raises(TransitionNotAllowed):
        check_assignment(action, status, "handler")


def test_reporter_cannot_triage_and_handlers_cannot_close():
    with pytest.raises(TransitionNotAllowed):
        check_feedback("reject", "submitted", "reporter")
    with pytest.raises(TransitionNotAllowed):
        check_feedback("close", "responded", "handler")
