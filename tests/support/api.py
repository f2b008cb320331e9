"""Helpers shared by the API tests: checked replies, a cadre's submission, the usual cast, a frozen clock.

Each test file keeps its own fixtures (a fixture says what that file's tests start from), built from
these, so a rule such as "a reply is checked before it is read" is written once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

MP = "/api/mp/v1"
STAFF = "/api/staff/v1"
WEDNESDAY_0930 = datetime(2026, 9, 23, 1, 30, tzinfo=UTC)  # Wednesday 2026-09-23, 09:30 China time
# Two statements of our own, matching the sample duty list (meetings → city-wb, forms → city-tj).
MEETING = "县里的秸秆焚烧会议要求每个街道书记都去陪会，我们街道根本没有庄稼地，一个月被叫去三次。"
FORMS = "省统计局的报表系统每月要求乡镇重复填报同一批数据，报表台账越来越多，干部天天加班填表。"

# The one JSON error shape every endpoint answers with (feedback.errors).
SHAPE = {"code", "message", "errors", "request_id"}

# Staff accounts of the sample reference data (config/*.yaml), by the short name tests use.
ROSTER: dict[str, tuple[str, dict[str, str]]] = {
    "triage": ("triage", {"username": "zzb-triage"}),
    "viewer": ("viewer", {"username": "viewer"}),
    "wb": ("handler", {"department_code": "city-wb", "username": "wb-handler"}),
    "fb": ("handler", {"department_code": "city-fb", "username": "fb-handler"}),
    "tj": ("handler", {"department_code": "city-tj", "username": "tj-handler"}),
    "yjgl": ("handler", {"department_code": "city-yjgl", "username": "yjgl-handler"}),
}


def ok(reply: Any, status: int = 200) -> Any:
    """The JSON of a reply that must have this status (the body is shown when it has not)."""
    assert reply.status_code == status, reply.get_json()
    return reply.get_json()


def error(reply: Any, status: int) -> dict:
    """The reply is the documented JSON error shape with ``status``."""
    assert reply.status_code == status, (reply.status_code, reply.get_data(as_text=True)[:300])
    body = reply.get_json()
    assert set(body) <= SHAPE and {"code", "message", "request_id"} <= set(body), body
    return body


def submit(client: Any, headers: dict[str, str], content: str = MEETING, **extra: Any) -> tuple[str, int]:
    """A cadre's problem report through the mini-program API: (receipt, feedback id)."""
    from feedback.services.intake.reporter import feedback_by_receipt

    body = ok(client.post(f"{MP}/feedback", json={"kind": "problem", "content": content} | extra, headers=headers), 201)
    return body["receipt"], feedback_by_receipt(body["receipt"]).id


def route(
    db: Any, feedback_id: int, primary: str, cooperating: tuple[str, ...] = (), path: str = "direct"
) -> list[int]:
    """Triage routes the feedback (through the service: the triage endpoints are tested on their own)."""
    from feedback.models import Feedback
    from feedback.services.handling.actors import Actor
    from feedback.services.triage.assigning import route_direct, route_escalate

    triage = Actor("staff", "triage")
    feedback = db.session.get(Feedback, feedback_id)
    if path == "escalate":
        created = route_escalate(triage, feedback, primary, None)
    else:
        created = route_direct(triage, feedback, primary, list(cooperating), "请核实并整改")
    db.session.commit()
    return [a.id for a in created]


def timeline(client: Any, headers: dict[str, str], receipt: str) -> list[dict]:
    """What the reporter sees with the receipt."""
    return ok(client.post(f"{MP}/feedback/track", json={"receipt": receipt}, headers=headers))["timeline"]


def rate(client: Any, headers: dict[str, str], receipt: str, rating: str, comment: str | None = None) -> Any:
    """The reporter rates a closure with the receipt (the reply, unchecked)."""
    body = {"receipt": receipt, "rating": rating} | ({"comment": comment} if comment is not None else {})
    return client.post(f"{MP}/feedback/rating", json=body, headers=headers)


def cast(staff_login: Any, mp_login: Any, *names: str, reporter: str | None = None) -> dict[str, dict[str, str]]:
    """Logged-in headers for a reporter and the named staff of ``ROSTER``."""
    people = {"reporter": mp_login(reporter) if reporter else mp_login()}
    for name in names:
        role, account = ROSTER[name]
        people[name] = staff_login(role, **account)
    return people


def frozen(app: Any, moment: datetime) -> Any:
    """The app's clock, frozen at ``moment``."""
    clock = app.extensions["clock"]
    clock.freeze(moment)
    return clock
