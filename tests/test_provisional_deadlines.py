"""Deadlines keep working past the last published holiday schedule (chinesecalendar 1.11.0 ends in 2026).

A frozen clock walks from 2026-12-01 to 2027-01-08 through the HTTP APIs and the jobs, as users and
the scheduler would. 2027 has no official schedule here, so its working days follow the statutory
holidays alone: 元旦 Fri 2027-01-01 off, weekends off, no make-up days. Every expected date below is
counted by hand in the comment beside it. Then a 2027 schedule is supplied in holidays.yaml — TEST
DATA, not the official schedule: the statutory days plus a bridge day Mon 2027-01-04 and a make-up
Saturday 2027-01-09 — and the provisional deadlines that are still ahead are corrected.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from feedback.jobs import runner
from feedback.models import Event, OutboxMessage
from tests.support.api import ok
from tests.support.holidays import holidays_yaml, statutory_plus

MP = "/api/mp/v1"
STAFF = "/api/staff/v1"
CHINA = ZoneInfo("Asia/Shanghai")
NOTE = "期限暂按法定节假日计算，国务院办公厅公布安排后自动校正"
TEXTS = [
    "县里每周的调度会都要求社区书记陪会，会上讲的和社区没有关系，一坐就是一上午。",
    "镇里要求每项工作都拍照留痕，台账材料比干活还多，迎检前通宵补材料。",
    "街道干部被区里部门借调半年，人不在岗，街道的活还得按原来的编制完成。",
    "区里把本该执法部门做的拆违任务以属地管理名义压给社区，社区没有执法权。",
    "一个月填了十几张报表，很多数据是重复的，上级部门之间也不共享。",
    "乡镇每天要在五个政务APP上打卡签到，还要截图上传到工作群。",
]


def cst(day: str, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=CHINA)


def due_day(item: dict) -> str:
    """The local day a due moment (end of that day, in UTC) falls on."""
    return (datetime.fromisoformat(item["due_at"]).astimezone(CHINA) - timedelta(microseconds=1)).date().isoformat()


@pytest.fixture
def world(app, client, seeded, staff_login, mp_login, tmp_path):
    app.config["HOLIDAYS_PATH"] = str(tmp_path / "holidays.yaml")  # absent: no supplement yet
    clock = app.extensions["clock"]
    clock.freeze(cst("2026-12-01", 9))
    people = {
        "triage": staff_login("triage", username="zzb-triage"),
        "wb": staff_login("handler", department_code="city-wb", username="wb-handler"),
        "fb": staff_login("handler", department_code="city-fb", username="fb-handler"),
        "tj": staff_login("handler", department_code="city-tj", username="tj-handler"),
        "liaison": staff_login("liaison", point_code="GC01", username="liaison-gc01"),
    }
    return app, client, clock, people, mp_login


def submit(world, text: str) -> tuple[str, int]:
    _, client, _, people, mp_login = world
    body = ok(client.post(f"{MP}/feedback", json={"kind": "problem", "content": text}, headers=mp_login()), 201)
    inbox = ok(
        client.get(
            f"{STAFF}/feedback", query_string={"status": "submitted", "order": "newest"}, headers=people["triage"]
        )
    )
    return body["receipt"], inbox["items"][0]["id"]


def route(world, fid: int, primary: str, path: str = "direct") -> dict:
    _, client, _, people, _ = world
    routed = ok(
        client.post(f"{STAFF}/feedback/{fid}/route", headers=people["triage"], json={"path": path, "primary": primary})
    )
    return next(a for a in routed["assignments"] if a["role"] == "primary")


def assignment(world, assignment_id: int) -> dict:
    _, client, _, people, _ = world
    return ok(client.get(f"{STAFF}/assignments/{assignment_id}", headers=people["triage"]))


def watch(world, day: str) -> dict:
    _, _, clock, _, _ = world
    clock.freeze(cst(day, 9, 5))
    run = runner.run_job("deadline-watch")
    assert run.outcome == "success", run.error
    return run.counts


def notices(db, kind: str) -> dict[int, str]:
    """assignment id -> China date the notice was queued."""
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind))
    return {m.payload["assignment_id"]: m.created_at.astimezone(CHINA).date().isoformat() for m in rows}


def test_a_month_across_the_year_end_without_2027_data_then_the_schedule_arrives(world, db, runner_cli):
    app, client, clock, people, _ = world
    ids: dict[str, int] = {}

    # Mon 12-07: routed direct, 15 working days 12-08..12-28 (all official) -> end of Mon 12-28.
    clock.freeze(cst("2026-12-07"))
    receipt_q, fid_q = submit(world, TEXTS[0])
    first = route(world, fid_q, "city-wb")
    ids["answered"] = first["id"]
    assert (due_day(first), first["due_provisional"], first["due_note"]) == ("2026-12-28", False, None)
    # Tue 12-08: triage asks the reporter; the clock stops.
    clock.freeze(cst("2026-12-08"))
    ok(
        client.post(
            f"{STAFF}/feedback/{fid_q}/questions",
            headers=people["triage"],
            json={"question": "请问是哪个部门通知的调度会？"},
        )
    )

    # Fri 12-04 (earlier in the week, separate feedback): a consultation outcome, 20 working days:
    # 12-07..12-31 are 19, 2027-01-01 (元旦) off, 01-02/03 weekend, Mon 01-04 is the 20th: provisional.
    clock.freeze(cst("2026-12-04"))
    _, fid_c = submit(world, TEXTS[1])
    consultation = ok(
        client.post(
            f"{STAFF}/consultations",
            headers=people["triage"],
            json={
                "title": "关于留痕过多的集中会商",
                "feedback_ids": [fid_c],
                "departments": ["city-wb", "city-fb"],
                "scheduled_on": "2026-12-04",
            },
        ),
        201,
    )
    ok(
        client.post(
            f"{STAFF}/consultations/{consultation['id']}/outcome",
            headers=people["triage"],
            json={
                "held_on": "2026-12-04",
                "attendees": ["市委办", "市政府办"],
                "outcome": "由市委办牵头精简台账",
                "assignments": [{"feedback_id": fid_c, "primary": "city-wb", "cooperating": ["city-fb"]}],
            },
        )
    )
    consult = next(
        a
        for a in ok(
            client.get(f"{STAFF}/assignments", headers=people["triage"], query_string={"department": "city-fb"})
        )["items"]
    )
    consult_primary = next(
        a
        for a in ok(client.get(f"{STAFF}/feedback/{fid_c}", headers=people["triage"]))["assignments"]
        if a["role"] == "primary"
    )
    ids["consult"] = consult_primary["id"]
    assert due_day(consult) == "2027-01-04" and consult["due_provisional"] and consult["due_note"] == NOTE
    assert consult_primary["due_provisional"] and consult_primary["due_note"] == NOTE

    # Fri 12-11: direct and escalate, 15 working days: 12-14..12-31 are 14, Mon 2027-01-04 the 15th.
    clock.freeze(cst("2026-12-11"))
    receipt_d, fid_d = submit(world, TEXTS[2])
    direct = route(world, fid_d, "city-fb")
    _, fid_e = submit(world, TEXTS[4])
    escalate = route(world, fid_e, "city-tj", path="escalate")
    ids["direct"], ids["escalate"] = direct["id"], escalate["id"]
    for item in (direct, escalate):
        assert (due_day(item), item["due_provisional"]) == ("2027-01-04", True)
    detail = assignment(world, direct["id"])
    assert detail["acknowledge_due_at"] == "2026-12-14T16:00:00+00:00"  # Mon 12-14, official
    assert detail["due_provisional"] and detail["due_note"] == NOTE
    track = ok(client.post(f"{MP}/feedback/track", json={"receipt": receipt_d}, headers=world[4]()))
    assert track["deadline"] == {"due_on": "2027-01-04", "provisional": True, "note": NOTE}
    assert track["timeline"][-1]["due_on"] == "2027-01-04" and track["timeline"][-1]["deadline_note"] == NOTE
    assert "chinesecalendar" not in str(track) and "holidays.yaml" not in str(track)
    handler_list = ok(client.get(f"{STAFF}/assignments", headers=people["fb"], query_string={"state": "on_time"}))
    assert {i["id"]: i["due_provisional"] for i in handler_list["items"]} == {direct["id"]: True, consult["id"]: True}

    # Wed 12-30: the reporter answers. Waited (12-08, 12-30]: 16 working days, so 15 + 16 = 31 from 12-07:
    # 18 in December (12-08..12-31), 01-04..01-08 (23), 01-11..01-15 (28), 01-18, 01-19, 01-20 (31).
    clock.freeze(cst("2026-12-30", 15))
    ok(
        client.post(
            f"{MP}/feedback/messages", json={"receipt": receipt_q, "body": "是区应急办通知的"}, headers=world[4]()
        ),
        201,
    )
    answered = assignment(world, ids["answered"])
    assert (due_day(answered), answered["due_provisional"]) == ("2027-01-20", True)
    # Acknowledgement 1 + 16 = 17 working days from 12-07: Wed 12-30 (official).
    assert answered["acknowledge_due_at"] == "2026-12-30T16:00:00+00:00"
    soon = ok(client.get(f"{STAFF}/assignments", headers=people["triage"], query_string={"state": "due_soon"}))
    assert {i["id"] for i in soon["items"]} >= {ids["direct"], ids["escalate"], ids["consult"]}

    # The deadline watch runs every morning from 12-01 to 01-08 and never fails.
    days = [f"2026-12-{d:02d}" for d in range(1, 32)] + [f"2027-01-{d:02d}" for d in range(1, 9)]
    for day in days:
        watch(world, day)
    due_soon, overdue = notices(db, "due_soon"), notices(db, "overdue")
    # Due Mon 01-04: two working days before is Wed 12-30 (12-31, 01-04 left); 督办 on Tue 01-05.
    for key in ("direct", "escalate", "consult"):
        assert due_soon[ids[key]] == "2026-12-30" and overdue[ids[key]] == "2027-01-05", key
    assert ids["answered"] not in overdue  # paused past 12-28, now due 01-20
    assert notices(db, "duban")[ids["direct"]] == "2027-01-05"

    # Ledger and monthly figures for 2027 months work on the provisional days.
    clock.freeze(cst("2027-01-04", 18))
    ok(
        client.put(
            f"{STAFF}/ledger/2027-01-04",
            headers=people["liaison"],
            json={"meetings": 3, "irrelevant_meetings": 2, "documents": 5, "inspections": 1, "forms": 4, "checkins": 2},
        )
    )
    clock.freeze(cst("2027-01-02", 9))
    assert runner.run_job("ledger-reminder").counts["points_checked"] == 0  # 01-01 was 元旦
    clock.freeze(cst("2027-01-01", 6))
    summary_run = runner.run_job("monthly-summary")
    assert summary_run.outcome == "success", summary_run.error
    clock.freeze(cst("2027-01-08", 12))
    for job in ("monthly-facts", "ledger-reminder"):
        run = runner.run_job(job)
        assert run.outcome == "success", (job, run.error)
    own = ok(
        client.get(
            f"{STAFF}/ledger", headers=people["liaison"], query_string={"from": "2027-01-01", "to": "2027-01-08"}
        )
    )
    assert own["missing_days"] == ["2027-01-05", "2027-01-06", "2027-01-07"]
    monthly = ok(client.get(f"{STAFF}/ledger/monthly", headers=people["triage"], query_string={"month": "2027-01"}))
    assert monthly["overall"]["totals"]["irrelevant_meetings"] == 2
    early = client.get(f"{STAFF}/ledger/monthly", headers=people["triage"], query_string={"month": "2000-01"})
    assert early.status_code == 422 and "2004" in str(early.get_json()["errors"]["month"])

    # Wed 01-06: two more feedback routed direct (15 provisional days: 01-07, 01-08, 01-11..15, 01-18..22,
    # 01-25, 01-26, 01-27 -> Wed 01-27). One is finished and accepted before the schedule arrives.
    clock.freeze(cst("2027-01-06"))
    _, fid_m = submit(world, TEXTS[3])
    ids["moves"] = route(world, fid_m, "city-wb")["id"]
    _, fid_x = submit(world, TEXTS[5])
    ids["closed"] = route(world, fid_x, "city-fb")["id"]
    for key in ("moves", "closed"):
        assert (due_day(assignment(world, ids[key])), assignment(world, ids[key])["due_provisional"]) == (
            "2027-01-27",
            True,
        )
    ok(client.post(f"{STAFF}/assignments/{ids['closed']}/acknowledge", headers=people["fb"]))
    report = ok(
        client.post(
            f"{STAFF}/assignments/{ids['closed']}/reports",
            headers=people["fb"],
            json={"measures": "取消重复打卡", "result": "已取消"},
        ),
        201,
    )
    ok(client.post(f"{STAFF}/reports/{report['id']}/verdict", headers=people["triage"], json={"verdict": "accept"}))

    # Nothing official yet: recompute finds every provisional deadline still provisional and moves none.
    clock.freeze(cst("2027-01-08", 16))
    idle = runner_cli.invoke(args=["calendar", "recompute"])
    assert idle.exit_code == 0 and "校正 0 个" in idle.output and "仍为暂定 2 个" in idle.output, idle.output

    # The 2027 schedule arrives in holidays.yaml (TEST DATA). No restart.
    Path(app.config["HOLIDAYS_PATH"]).write_text(
        holidays_yaml(2027, statutory_plus(2027, date(2027, 1, 4)), [date(2027, 1, 9)]), encoding="utf-8"
    )
    done = runner_cli.invoke(args=["calendar", "recompute"])
    assert done.exit_code == 0, done.output
    assert "检查暂定期限 2 个：校正 1 个，日期不变转为正式 1 个，仍为暂定 0 个" in done.output
    # Moved: from 01-06, 01-07, 01-08, Sat 01-09 (make-up), 01-11..15, 01-18..22, 01-25, 01-26 -> Tue 01-26.
    moved = assignment(world, ids["moves"])
    assert (due_day(moved), moved["due_provisional"], moved["due_note"]) == ("2027-01-26", False, None)
    # Same date: 01-04 off and 01-09 on cancel out for the answered one (still Wed 01-20), now official.
    confirmed = assignment(world, ids["answered"])
    assert (due_day(confirmed), confirmed["due_provisional"]) == ("2027-01-20", False)
    # Passed (due 01-04, already under 督办) and accepted ones are left as they were.
    for key, day in (("direct", "2027-01-04"), ("consult", "2027-01-04"), ("closed", "2027-01-27")):
        item = assignment(world, ids[key])
        assert (due_day(item), item["due_provisional"]) == (day, True), key
    corrected = notices(db, "deadline_corrected")
    assert corrected == {ids["moves"]: "2027-01-08"}
    events = db.session.scalars(select(Event).where(Event.action == "deadline_corrected")).all()
    assert [(e.assignment_id, e.data["from_day"]) for e in events] == [(ids["moves"], "2027-01-27")]

    again = runner_cli.invoke(args=["calendar", "recompute"])
    assert "检查暂定期限 0 个：校正 0 个" in again.output
    run = runner.run_job("calendar-watch")
    assert run.outcome == "success" and run.counts["moved"] == 0
    assert len(notices(db, "deadline_corrected")) == 1
    assert db.session.scalar(select(Event.id).where(Event.action == "deadline_corrected").offset(1)) is None


@pytest.fixture
def runner_cli(app):
    return app.test_cli_runner()
