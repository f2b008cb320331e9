"""Every console page, opened by every role: what that role must not see is nowhere in the HTML.

The pages are found from the app's URL map, so a page added later is checked too; a page whose URL
needs a value this test does not know fails here until the value is added to ``PATH_VALUES``.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from feedback.models import Assignment, ObservationPoint
from feedback.services.handling import assignments
from feedback.services.handling.actors import Actor
from feedback.services.triage.consultations import convene
from tests.support.api import FORMS, MEETING, MP, frozen, ok, route, submit
from tests.support.console import console_client

SUBMITTED = datetime(2026, 9, 23, 1, 37, tzinfo=UTC)  # Wednesday, 09:37 China time: an odd minute
NAME, PHONE = "王实名", "13912345678"
# Words of each complaint that no tag highlights, so a <mark> never splits them.
MEETING_MARK, FORMS_MARK = "秸秆焚烧", "省统计局"
THIRD = "村里每周要填三张安全检查表，内容完全一样，只是表头不同。"
SKIPPED = {"console.login", "console.logout", "console.keepalive", "console.static_page_not_found"}


@pytest.fixture
def world(app, db, client, seeded, mp_login, fake_wechat):
    """A named reporter's meeting complaint routed to city-wb; an anonymous forms complaint to city-tj."""
    frozen(app, SUBMITTED)
    openid = "o-leak-check-openid-0001"
    reporter = mp_login(openid)
    named = ok(
        client.post(
            f"{MP}/feedback",
            headers=reporter,
            json={"kind": "problem", "content": MEETING, "anonymous": False, "contact": {"name": NAME, "phone": PHONE}},
        ),
        201,
    )
    from feedback.services.intake.reporter import feedback_by_receipt

    fid = feedback_by_receipt(named["receipt"]).id
    other_receipt, other_fid = submit(client, mp_login(), FORMS)
    (wb_assignment,) = route(db, fid, "city-wb")
    (tj_assignment,) = route(db, other_fid, "city-tj")
    _, third_fid = submit(client, mp_login(), THIRD)
    triage = Actor("staff", "triage")
    consultation = convene(
        triage,
        title="安全检查表会商",
        feedback_ids=[third_fid],
        department_codes=["city-wb", "city-tj"],
        scheduled_on=None,
    )
    assignment = db.session.get(Assignment, wb_assignment)
    handler = Actor("staff", "handler", None, assignment.department_id)
    assignments.acknowledge(handler, assignment)
    report = assignments.respond(
        handler, assignment, measures="精简陪会范围", result="已发通知", summary="不再要求街道书记陪会", attachments=[]
    )
    db.session.commit()
    frozen(app, datetime(2026, 9, 28, 2, 0, tzinfo=UTC))
    return {
        "consultation_id": consultation.id,
        "report_id": report.id,
        "openid": openid,
        "receipts": (named["receipt"], other_receipt),
        "feedback_id": fid,
        "other_feedback_id": other_fid,
        "assignment_id": wb_assignment,
        "other_assignment_id": tj_assignment,
        "point_code": db.session.query(ObservationPoint.code).order_by(ObservationPoint.id).limit(1).scalar(),
    }


def _path_values(world) -> dict[str, int | str]:
    return {
        "feedback_id": world["feedback_id"],
        "assignment_id": world["assignment_id"],
        "consultation_id": world["consultation_id"],
        "report_id": world["report_id"],
        "month": "2026-09",
        "extension": "csv",
        "code": world["point_code"],
        "upload_id": "no-such-upload",
        "attachment_id": "no-such-attachment",
    }


def console_pages(app, world) -> list[str]:
    values = _path_values(world)
    pages = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("console.") or rule.endpoint in SKIPPED or "GET" not in rule.methods:
            continue
        missing = set(rule.arguments) - set(values)
        assert not missing, f"{rule.rule}: add a value for {sorted(missing)} to this test's path values"
        pages.append(rule.build({name: values[name] for name in rule.arguments}, append_unknown=False)[1])
    return sorted(pages)


def _seen(client, path: str) -> str:
    reply = client.get(path)
    assert reply.status_code in (200, 302, 403, 404, 422), (path, reply.status_code)
    return reply.data.decode("utf-8", errors="replace")  # exports are bytes


@pytest.mark.parametrize(
    "role, unit",
    [
        ("triage", {}),
        ("admin", {}),
        ("viewer", {}),
        ("handler", {"department_code": "city-wb"}),
        ("liaison", {"point_code": None}),
    ],
)
def test_no_page_shows_a_role_what_it_must_not_see(app, db, world, role, unit):
    if "point_code" in unit:
        unit = {"point_code": world["point_code"]}
    staff = console_client(app, db, role, **unit)
    never = [world["openid"], *world["receipts"]]  # nobody on the staff side ever sees these
    if role not in ("triage", "admin"):
        never += [NAME, PHONE]  # the contact is the org department's alone
    if role in ("handler", "liaison"):
        never += ["09:37"]  # departments and points see the day, never the minute
    if role == "handler":
        never += [FORMS_MARK, "交办建议", "建议主办"]  # another department's complaint; the suggestion
    if role == "liaison":
        never += [MEETING_MARK, FORMS_MARK]  # a point sees its own submissions only
    pages = console_pages(app, world)
    assert "/console/" in pages
    # The pages do show what the role may see, so the absences below mean something.
    if role in ("triage", "admin"):
        shown = _seen(staff, f"/console/feedback/{world['feedback_id']}")
        assert MEETING_MARK in shown and PHONE in shown and "交办建议" in shown
    if role == "handler":
        assert MEETING_MARK in _seen(staff, f"/console/assignments/{world['assignment_id']}")
        assert MEETING_MARK in _seen(staff, f"/console/feedback/{world['feedback_id']}")
    for path in pages:
        html = _seen(staff, path)
        for secret in never:
            assert secret not in html, f"{role} sees {secret!r} on {path}"
