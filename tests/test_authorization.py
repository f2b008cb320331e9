"""Object-level and role authorization of the staff console, endpoint by endpoint.

A handler of another department asking for an assignment (or its feedback) by id gets 404, the
same answer as for an id that does not exist, and nothing changes; the owning department's
handler then makes the very same call successfully, so the 404 was about who asked, not about the
state. Handlers calling the org department's endpoints get 403. Entries for endpoints that are not
registered (yet) are skipped, found through ``app.url_map``.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from werkzeug.exceptions import HTTPException

from feedback.models import Assignment, Event, ExtensionRequest, Feedback, ObservationPoint, RectificationReport
from feedback.services.handling import assignments
from feedback.services.handling.actors import Actor
from tests.support.api import FORMS, MEETING, STAFF, WEDNESDAY_0930, cast, frozen, ok, route, submit

# (method, path, body, what the owner's assignment must have been through, owner's success status)
HANDLER_ENDPOINTS = [
    ("GET", "/assignments/{assignment}", None, (), 200),
    ("POST", "/assignments/{assignment}/acknowledge", None, (), 200),
    ("POST", "/assignments/{assignment}/return", {"reason": "不属本部门职责"}, (), 200),
    ("POST", "/assignments/{assignment}/extensions", {"days": 2, "reason": "需协调核实"}, (), 201),
    ("POST", "/assignments/{assignment}/upward-report", {"reported_to": "中原省统计局"}, ("acknowledge",), 200),
    (
        "POST",
        "/assignments/{assignment}/reports",
        {"measures": "已整改", "result": "已完成"},
        ("acknowledge", "report_upward"),
        201,
    ),
    ("GET", "/feedback/{feedback}", None, (), 200),
]

# Org department only; the body is never read, the role is checked first.
TRIAGE_ENDPOINTS = [
    ("GET", "/extensions"),
    ("POST", "/extensions/{extension}/decision"),
    ("POST", "/reports/{report}/verdict"),
    ("GET", "/feedback"),
    ("GET", "/feedback/{feedback}/events"),
    ("POST", "/feedback/{feedback}/tags"),
    ("POST", "/feedback/{feedback}/reject"),
    ("POST", "/feedback/{feedback}/merge"),
    ("POST", "/feedback/{feedback}/questions"),
    ("POST", "/feedback/{feedback}/route"),
    ("POST", "/feedback/{feedback}/close"),
    ("POST", "/consultations"),
]

BODY_FOR = {"/extensions/{extension}/decision": {"approve": True}, "/reports/{report}/verdict": {"verdict": "accept"}}


def registered(app, method: str, path: str) -> bool:
    try:
        app.url_map.bind("localhost").match(path, method=method)
    except HTTPException:
        return False
    return True


def snapshot(db) -> tuple:
    """Everything an intruding call could have changed, as committed in the database."""
    db.session.rollback()
    rows = db.session.scalars(select(Assignment).order_by(Assignment.id))
    return (
        [
            (a.id, a.status, a.due_at, a.acknowledged_at, a.returned_at, a.extension_days, a.reported_upward_at)
            for a in rows
        ],
        list(db.session.execute(select(Feedback.id, Feedback.status).order_by(Feedback.id))),
        *(
            db.session.scalar(select(func.count()).select_from(m))
            for m in (ExtensionRequest, RectificationReport, Event)
        ),
    )


@pytest.fixture
def clock(app):
    return frozen(app, WEDNESDAY_0930)


@pytest.fixture
def people(seeded, staff_login, mp_login):
    return cast(staff_login, mp_login, "tj", "wb", "fb")


def _prepare(db, assignment_id: int, steps: tuple[str, ...]) -> None:
    owner = Actor("staff", "handler", None, db.session.get(Assignment, assignment_id).department_id)
    for step in steps:
        assignment = db.session.get(Assignment, assignment_id)
        if step == "acknowledge":
            assignments.acknowledge(owner, assignment)
        else:
            assignments.report_upward(owner, assignment, "中原省统计局")
    db.session.commit()


@pytest.mark.parametrize(
    ("method", "template", "body", "steps", "owner_status"),
    HANDLER_ENDPOINTS,
    ids=[f"{m} {t}" for m, t, *_ in HANDLER_ENDPOINTS],
)
def test_handler_of_another_department_gets_404_and_changes_nothing(
    app, client, db, people, clock, method, template, body, steps, owner_status
):
    _, fid = submit(client, people["reporter"], FORMS)
    (aid,) = route(db, fid, "city-tj", path="escalate")
    _, own_fid = submit(client, people["reporter"], MEETING)
    route(db, own_fid, "city-wb")  # the intruder is a real handler with work of its own
    _prepare(db, aid, steps)
    path = template.format(assignment=aid, feedback=fid)
    if not registered(app, method, f"{STAFF}{path}"):
        pytest.skip(f"{method} {template} is not registered yet")

    before = snapshot(db)
    reply = client.open(f"{STAFF}{path}", method=method, json=body, headers=people["wb"])
    assert reply.status_code == 404, reply.get_json()
    assert reply.get_json()["code"] in {"assignment_not_found", "feedback_not_found"}
    assert "city-tj" not in reply.get_data(as_text=True)
    assert snapshot(db) == before

    missing = template.format(assignment=aid + 1000, feedback=fid + 1000)
    nothing = client.open(f"{STAFF}{missing}", method=method, json=body, headers=people["wb"])
    assert (nothing.status_code, nothing.get_json()["message"]) == (404, reply.get_json()["message"])

    ok(client.open(f"{STAFF}{path}", method=method, json=body, headers=people["tj"]), owner_status)


@pytest.mark.parametrize(
    ("method", "template", "body", "steps", "owner_status"),
    [e for e in HANDLER_ENDPOINTS if "{assignment}" in e[1]],
    ids=[f"{m} {t}" for m, t, *_ in HANDLER_ENDPOINTS if "{assignment}" in t],
)
def test_cooperating_department_cannot_reach_the_primary_assignment(
    client, db, people, clock, method, template, body, steps, owner_status
):
    _, fid = submit(client, people["reporter"], MEETING)
    wb, _fb = route(db, fid, "city-wb", ("city-fb",))
    before = snapshot(db)
    reply = client.open(f"{STAFF}{template.format(assignment=wb)}", method=method, json=body, headers=people["fb"])
    assert reply.status_code == 404 and reply.get_json()["code"] == "assignment_not_found"
    assert snapshot(db) == before


def test_handler_list_never_shows_other_departments(client, db, people, clock):
    _, fid = submit(client, people["reporter"], MEETING)
    wb, fb = route(db, fid, "city-wb", ("city-fb",))
    for who, mine in (("wb", wb), ("fb", fb), ("tj", None)):
        for query in ({}, {"department": "city-wb"}, {"department": "city-fb"}, {"state": "on_time"}):
            items = ok(client.get(f"{STAFF}/assignments", query_string=query, headers=people[who]))["items"]
            assert {i["id"] for i in items} <= {mine}, (who, query)


@pytest.mark.parametrize(("method", "template"), TRIAGE_ENDPOINTS, ids=[f"{m} {t}" for m, t in TRIAGE_ENDPOINTS])
def test_handler_cannot_use_org_department_endpoints(app, client, db, people, clock, method, template):
    _, fid = submit(client, people["reporter"], FORMS)
    (aid,) = route(db, fid, "city-tj", path="escalate")
    owner = Actor("staff", "handler", None, db.session.get(Assignment, aid).department_id)
    assignment = db.session.get(Assignment, aid)
    assignments.acknowledge(owner, assignment)
    extension = assignments.request_extension(owner, assignment, 2, "需协调核实")
    assignments.report_upward(owner, assignment, "中原省统计局")
    report = assignments.respond(owner, assignment, measures="已整改", result="已完成", summary=None, attachments=[])
    db.session.commit()
    path = template.format(extension=extension.id, report=report.id, feedback=fid)
    if not registered(app, method, f"{STAFF}{path}"):
        pytest.skip(f"{method} {template} is not registered yet")

    before = snapshot(db)
    # The handler owns this assignment, its extension request and its report: the role alone decides.
    reply = client.open(f"{STAFF}{path}", method=method, json=BODY_FOR.get(template, {}), headers=people["tj"])
    assert reply.status_code == 403, reply.get_json()
    assert reply.get_json()["message"] == "您的账号角色无权进行此操作"
    assert snapshot(db) == before


def test_liaison_has_no_business_with_assignments(client, db, people, clock, staff_login):
    point = db.session.scalars(select(ObservationPoint.code).order_by(ObservationPoint.code)).first()
    liaison = staff_login("liaison", point_code=point)
    _, fid = submit(client, people["reporter"], MEETING)
    (aid,) = route(db, fid, "city-wb")
    for method, path in (
        ("GET", "/assignments"),
        ("GET", f"/assignments/{aid}"),
        ("POST", f"/assignments/{aid}/acknowledge"),
        ("GET", "/extensions"),
    ):
        assert client.open(f"{STAFF}{path}", method=method, headers=liaison).status_code == 403, path
