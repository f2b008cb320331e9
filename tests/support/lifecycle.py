"""Steps of a feedback's handling taken through the services, as the console would take them.

For tests whose subject is what comes after (the reporter's view, anonymity, retention): the staff
endpoints for these steps are tested on their own.
"""

from __future__ import annotations

from typing import Any

from feedback.models import Assignment, Feedback
from feedback.services.handling import assignments
from feedback.services.handling.actors import Actor
from feedback.services.triage import decisions as triage
from feedback.services.triage.assigning import route_direct

TRIAGE = Actor("staff", "triage")


def assign(db: Any, fid: int, dept: str = "city-wb") -> Assignment:
    """Triage routes the feedback to ``dept`` alone, with no note."""
    (assignment,) = route_direct(TRIAGE, db.session.get(Feedback, fid), dept, [], None)
    db.session.commit()
    return assignment


def ask(db: Any, fid: int, question: str = "请问是哪个部门发的会议通知？") -> None:
    """Triage asks the reporter a question (the feedback waits in needs_info)."""
    triage.ask_reporter(TRIAGE, db.session.get(Feedback, fid), question)
    db.session.commit()


def handle_and_close(db: Any, fid: int, dept: str = "city-wb") -> None:
    """Route, acknowledge, respond, accept and close, as the console would."""
    assignment = assign(db, fid, dept)
    handler = Actor("staff", "handler", None, assignment.department_id)
    assignments.acknowledge(handler, assignment)
    report = assignments.respond(
        handler,
        assignment,
        measures="清理会议参会范围",
        result="已印发通知",
        summary="无农业任务的街道不再参会",
        attachments=[],
    )
    assignments.accept(TRIAGE, report, None)
    triage.close(TRIAGE, db.session.get(Feedback, fid), "已整改到位")
    db.session.commit()
