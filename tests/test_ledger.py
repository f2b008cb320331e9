"""The observation-point daily ledger (日登记、月统计、季度通报) and its daily reminder.

Liaisons fill in days through the API with the clock frozen on the day they do it (entries lock
after 7 days, so history is written as it would have been). The quarterly test writes whole
quarters straight into the table, as a year of liaisons would have. Chinese calendar facts used:
2026 Mid-Autumn Fri 09-25 and National Day Thu 10-01..Wed 10-07 off, Sun 09-20 and Sat 10-10
make-up workdays; 2025 Sun 09-28 make-up workday. Working days: September 2026 has 22, Q3 2025
has 67 and Q3 2026 has 66.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from feedback.calendar import WorkCalendar
from feedback.jobs.runner import run_job
from feedback.models import JobRun, ObservationPoint, OutboxMessage
from feedback.models.ledger import LEDGER_COUNTS, LedgerEntry

LEDGER = "/api/staff/v1/ledger"
CHINA = ZoneInfo("Asia/Shanghai")
ZERO = dict.fromkeys(LEDGER_COUNTS, 0)


def at(day: str, hour: int = 20, minute: int = 0) -> datetime:
    """A China-time moment on ``day`` (YYYY-MM-DD), as the aware UTC datetime the clock takes."""
    return datetime.combine(date.fromisoformat(day), time(hour, minute), tzinfo=CHINA).astimezone(UTC)


def counts(**given: int) -> dict[str, int]:
    return {**ZERO, **given}


@pytest.fixture
def clock(app):
    return app.extensions["clock"]


@pytest.fixture
def liaison(seeded, staff_login):
    """Headers of a liaison of each point asked for (one account per point)."""
    made: dict[str, dict[str, str]] = {}

    def login(point: str) -> dict[str, str]:
        if point not in made:
            made[point] = staff_login("liaison", point_code=point, username=f"liaison-{point.lower()}")
        return made[point]

    return login


@pytest.fixture
def fill(client, clock, liaison):
    """Fill in ``day`` for ``point`` on that very evening, as its liaison would."""

    def do(point: str, day: str, note: str | None = None, **given: int) -> dict:
        clock.freeze(at(day))
        reply = client.put(f"{LEDGER}/{day}", json={**counts(**given), "note": note}, headers=liaison(point))
        assert reply.status_code == 200, reply.get_json()
        return reply.get_json()

    return do


def entry_count(db) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(LedgerEntry))


# ------------------------------------------------------------------------------------ recording


def test_liaison_records_and_corrects_within_seven_days_then_it_locks(client, db, clock, liaison):
    headers = liaison("GC01")
    clock.freeze(at("2026-09-23", 9, 30))
    first = client.put(
        f"{LEDGER}/2026-09-22",
        headers=headers,
        json=counts(meetings=3, irrelevant_meetings=1, documents=5, note="县里秸秆焚烧会"),
    )
    assert first.status_code == 200, first.get_json()
    assert first.get_json() | {"updated_at": None} == {
        "day": "2026-09-22",
        **counts(meetings=3, irrelevant_meetings=1, documents=5),
        "note": "县里秸秆焚烧会",
        "recorded_by": "liaison-gc01",
        "updated_at": None,
        "editable": True,
        "source": "liaison",
    }

    clock.freeze(at("2026-09-29", 18))  # 7 days later: still open
    fixed = client.put(f"{LEDGER}/2026-09-22", headers=headers, json=counts(meetings=2, irrelevant_meetings=2))
    assert fixed.status_code == 200 and fixed.get_json()["meetings"] == 2 and fixed.get_json()["note"] is None
    assert entry_count(db) == 1
    listed = client.get(f"{LEDGER}?from=2026-09-22&to=2026-09-22", headers=headers).get_json()
    assert [(e["day"], e["meetings"], e["irrelevant_meetings"], e["documents"]) for e in listed["entries"]] == [
        ("2026-09-22", 2, 2, 0)
    ]
    assert listed["editable_from"] == "2026-09-22"

    clock.freeze(at("2026-09-30", 0, 5))  # 8 days later, China time (still 09-29 in UTC)
    locked = client.put(f"{LEDGER}/2026-09-22", headers=headers, json=counts(meetings=9))
    assert locked.status_code == 409
    assert locked.get_json()["message"] == "超过 7 天的登记已锁定，如需更正请联系组织部"
    late = client.put(f"{LEDGER}/2026-09-21", headers=headers, json=counts())  # never filled: locked too
    assert late.status_code == 409 and entry_count(db) == 1
    after = client.get(f"{LEDGER}?from=2026-09-22&to=2026-09-22", headers=headers).get_json()["entries"]
    assert after[0]["meetings"] == 2 and after[0]["editable"] is False


def test_today_is_the_china_date(client, clock, liaison):
    clock.freeze(at("2026-09-24", 0, 30))  # 2026-09-23 16:30 UTC
    reply = client.put(f"{LEDGER}/2026-09-24", headers=liaison("GC01"), json=counts(forms=1))
    assert reply.status_code == 200, reply.get_json()
    future = client.put(f"{LEDGER}/2026-09-25", headers=liaison("GC01"), json=counts())
    assert future.status_code == 422 and future.get_json()["errors"] == {"day": ["不能登记未来的日期"]}


@pytest.mark.parametrize(
    "body, errors",
    [
        (counts(meetings=-1), {"meetings": ["参会次数应为 0–999 的整数"]}),
        (counts(checkins=1000), {"checkins": ["打卡签到次数应为 0–999 的整数"]}),
        (
            counts(meetings=1, irrelevant_meetings=2),
            {"irrelevant_meetings": ["陪会次数（与本点无关的会议）不能多于参会次数"]},
        ),
        (counts(documents="3"), {"documents": ["应为整数"]}),
        ({k: v for k, v in counts().items() if k != "forms"}, {"forms": ["此项为必填项"]}),
        (counts(note="会" * 501), {"note": ["备注不超过 500 个字"]}),
        (counts(point_code="GC02"), {"point_code": ["不支持的字段"]}),
    ],
)
def test_validation_speaks_chinese(client, db, clock, liaison, body, errors):
    clock.freeze(at("2026-09-23", 9))
    reply = client.put(f"{LEDGER}/2026-09-22", headers=liaison("GC01"), json=body)
    assert reply.status_code == 422
    assert reply.get_json()["code"] == "validation_error" and reply.get_json()["errors"] == errors
    assert entry_count(db) == 0


def test_bad_dates_in_the_path_and_query(client, clock, liaison):
    clock.freeze(at("2026-09-23", 9))
    headers = liaison("GC01")
    reply = client.put(f"{LEDGER}/2026-13-01", headers=headers, json=counts())
    assert reply.status_code == 422
    assert reply.get_json()["errors"] == {"day": ["日期格式应为 YYYY-MM-DD，如 2026-09-23"]}
    backwards = client.get(f"{LEDGER}?from=2026-09-20&to=2026-09-10", headers=headers)
    assert backwards.status_code == 422 and backwards.get_json()["errors"] == {"from": ["起始日期不能晚于截止日期"]}


def test_a_liaison_only_ever_sees_and_writes_their_own_point(client, db, fill, liaison):
    fill("GC02", "2026-09-22", meetings=4)
    fill("GC01", "2026-09-22", documents=1)
    own = client.get(f"{LEDGER}?from=2026-09-01&to=2026-09-30", headers=liaison("GC01")).get_json()
    assert own["point"] == {"code": "GC01", "name": own["point"]["name"]}
    assert [(e["day"], e["meetings"], e["documents"]) for e in own["entries"]] == [("2026-09-22", 0, 1)]
    db.session.rollback()
    by_point = dict(
        db.session.execute(select(ObservationPoint.code, LedgerEntry.meetings).join(ObservationPoint)).all()
    )
    assert by_point == {"GC01": 0, "GC02": 4}  # GC01's write did not touch GC02's day
    # There is no way to name another point: a point in the query is ignored, the org views refuse liaisons.
    named = client.get(f"{LEDGER}?point=GC02&from=2026-09-22&to=2026-09-22", headers=liaison("GC01")).get_json()
    assert named["point"]["code"] == "GC01" and [e["meetings"] for e in named["entries"]] == [0]
    for path in ("/points/GC02?month=2026-09", "/monthly?month=2026-09", "/quarterly?quarter=2026Q3"):
        assert client.get(f"{LEDGER}{path}", headers=liaison("GC01")).status_code == 403, path


def test_roles(client, seeded, clock, staff_login):
    clock.freeze(at("2026-09-23", 9))
    handler = staff_login("handler", department_code=_any_department())
    viewer = staff_login("viewer")
    for method, path in (
        ("GET", ""),
        ("PUT", "/2026-09-22"),
        ("GET", "/points/GC01?month=2026-09"),
        ("GET", "/monthly?month=2026-09"),
        ("GET", "/quarterly?quarter=2026Q3"),
    ):
        assert client.open(f"{LEDGER}{path}", method=method, json=counts(), headers=handler).status_code == 403
    for role in ("triage", "admin", "viewer"):  # the org department and leadership read, never write
        headers = viewer if role == "viewer" else staff_login(role)
        assert client.get(f"{LEDGER}/monthly?month=2026-09", headers=headers).status_code == 200
        assert client.put(f"{LEDGER}/2026-09-22", json=counts(), headers=headers).status_code == 403
    assert client.get(f"{LEDGER}/monthly?month=2026-09").status_code == 401


def _any_department() -> str:
    from feedback.extensions import db
    from feedback.models import Department

    return db.session.scalar(
        select(Department.code).where(Department.is_org_department.is_(False), Department.active.is_(True)).limit(1)
    )


def test_the_org_department_corrects_a_locked_day_and_the_correction_is_recorded(
    client, db, clock, fill, liaison, staff_login
):
    from feedback.models import Event

    fill("GC01", "2026-09-22", meetings=3, irrelevant_meetings=1, note="县里会议")
    clock.freeze(at("2026-10-14", 10))
    headers = liaison("GC01")
    assert client.put(f"{LEDGER}/2026-09-22", headers=headers, json=counts(meetings=4)).status_code == 409
    triage = staff_login("triage", username="zzb-ledger")
    url = f"{LEDGER}/points/GC01/2026-09-22"
    body = counts(meetings=4, irrelevant_meetings=1, inspections=1)
    reason = "联络员来电说明漏记一次督查检查和一次会议"
    for wrong, status in (({**body}, 422), ({**body, "reason": "  "}, 422)):
        assert client.put(url, headers=triage, json=wrong).status_code == status
    for who in (headers, staff_login("viewer"), staff_login("handler", department_code=_any_department())):
        assert client.put(url, headers=who, json=body | {"reason": reason}).status_code == 403
    assert (
        client.put(f"{LEDGER}/points/ZZ99/2026-09-22", headers=triage, json=body | {"reason": reason}).status_code
        == 404
    )
    ahead = client.put(f"{LEDGER}/points/GC01/2026-10-15", headers=triage, json=body | {"reason": reason})
    assert ahead.status_code == 422

    fixed = client.put(url, headers=triage, json=body | {"reason": reason, "note": "县里会议；市里检查"})
    assert fixed.status_code == 200, fixed.get_json()
    assert (fixed.get_json()["source"], fixed.get_json()["recorded_by"], fixed.get_json()["inspections"]) == (
        "org",
        "zzb-ledger",
        1,
    )
    shown = client.get(f"{LEDGER}?from=2026-09-22&to=2026-09-22", headers=headers).get_json()["entries"]
    assert (shown[0]["meetings"], shown[0]["inspections"], shown[0]["editable"]) == (4, 1, False)
    # A locked day that was never filled can be filled in by the org department too.
    assert (
        client.put(
            f"{LEDGER}/points/GC01/2026-09-21", headers=triage, json=counts(documents=2) | {"reason": "补登纸质台账"}
        ).status_code
        == 200
    )
    db.session.rollback()
    events = db.session.scalars(select(Event).where(Event.action == "ledger_correct").order_by(Event.id)).all()
    assert [(e.reason, e.actor_role, e.data["point"], e.data["day"]) for e in events] == [
        (reason, "triage", "GC01", "2026-09-22"),
        ("补登纸质台账", "triage", "GC01", "2026-09-21"),
    ]
    assert events[0].data["before"] == {**counts(meetings=3, irrelevant_meetings=1), "note": "县里会议"}
    assert events[0].data["after"] == {**body, "note": "县里会议；市里检查"}
    assert events[1].data["before"] is None and events[0].feedback_id is None


# ------------------------------------------------------------------------------------ missing days


def test_missing_days_are_working_days_after_the_first_entry(client, clock, fill, liaison, staff_login):
    for day in ("2026-09-28", "2026-09-29", "2026-10-04", "2026-10-09", "2026-10-12"):
        fill("GC03", day, meetings=1)
    clock.freeze(at("2026-10-14", 10))
    listed = client.get(f"{LEDGER}?from=2026-09-21&to=2026-10-16", headers=liaison("GC03")).get_json()
    # Before the first entry (09-21..09-25) nothing is missing; the holidays 10-01..07 and the weekend
    # 10-11 are not working days (an entry on holiday 10-04 still counts); the make-up Saturday 10-10
    # is; today 10-14 can still be filled in, and 10-15/16 lie ahead.
    assert listed["missing_days"] == ["2026-09-30", "2026-10-08", "2026-10-10", "2026-10-13"]
    assert listed["first_day"] == "2026-09-28" and listed["totals"]["meetings"] == 5

    triage = staff_login("triage")
    october = client.get(f"{LEDGER}/points/GC03?month=2026-10", headers=triage).get_json()
    assert [e["day"] for e in october["entries"]] == ["2026-10-04", "2026-10-09", "2026-10-12"]
    assert october["missing_days"] == ["2026-10-08", "2026-10-10", "2026-10-13"]
    assert (october["from"], october["to"]) == ("2026-10-01", "2026-10-31")
    never = client.get(f"{LEDGER}/points/GC04?month=2026-10", headers=triage).get_json()
    # A point that has never reported misses every working day before today (not none of them).
    assert never["first_day"] is None and never["entries"] == []
    assert never["missing_days"] == ["2026-10-08", "2026-10-09", "2026-10-10", "2026-10-12", "2026-10-13"]
    assert client.get(f"{LEDGER}/points/ZZ99?month=2026-10", headers=triage).status_code == 404


# ------------------------------------------------------------------------------------ statistics


def test_monthly_statistics_per_point_and_overall(client, db, clock, fill, staff_login):
    fill("GC01", "2026-09-01", meetings=3, irrelevant_meetings=1, documents=5, inspections=1, forms=2, checkins=4)
    fill("GC01", "2026-09-02", meetings=1, documents=2, forms=1)
    fill("GC01", "2026-09-30", meetings=2, irrelevant_meetings=2, inspections=1, checkins=1)
    fill("GC02", "2026-09-20", meetings=2, irrelevant_meetings=1, documents=3, forms=1, checkins=2)  # make-up Sunday
    fill("GC02", "2026-09-22")  # a day with nothing to report still counts as filled
    fill("GC02", "2026-09-26", documents=1)  # a Saturday off: filled, never missing
    fill("GC45", "2026-09-10", documents=1)
    fill("GC01", "2026-10-08", meetings=50)  # another month
    db.session.execute(
        ObservationPoint.__table__.update().where(ObservationPoint.code.in_(["GC44", "GC45"])).values(active=False)
    )
    db.session.commit()

    clock.freeze(at("2026-10-14", 10))
    report = client.get(f"{LEDGER}/monthly?month=2026-09", headers=staff_login("viewer")).get_json()
    rows = {r["code"]: r for r in report["points"]}
    assert "GC44" not in rows and len(rows) == 44  # inactive without entries: left out
    # GC01: 22 working days in September, 3 of them filled, from 09-01 on.
    assert rows["GC01"] | {"name": None} == {
        "code": "GC01",
        "name": None,
        "active": True,
        "first_day": "2026-09-01",
        "days_filled": 3,
        "days_missing": 19,
        "never_reported": False,
        "totals": {
            "meetings": 6,
            "irrelevant_meetings": 3,
            "documents": 7,
            "inspections": 2,
            "forms": 3,
            "checkins": 5,
        },
    }
    # GC02 from Sun 09-20: 09-20..24 and 09-28..30 are 8 working days; 09-20 and 09-22 filled.
    assert (rows["GC02"]["days_filled"], rows["GC02"]["days_missing"]) == (3, 6)
    assert rows["GC02"]["totals"] == {
        "meetings": 2,
        "irrelevant_meetings": 1,
        "documents": 4,
        "inspections": 0,
        "forms": 1,
        "checkins": 2,
    }
    assert rows["GC45"] | {"name": None} == {
        "code": "GC45",
        "name": None,
        "active": False,
        "first_day": "2026-09-10",
        "days_filled": 1,
        "days_missing": 0,
        "totals": counts(documents=1),
        "never_reported": False,
    }
    # The 41 active points that never reported are not hidden: every working day of September is missing.
    assert (rows["GC07"]["first_day"], rows["GC07"]["days_missing"], rows["GC07"]["never_reported"]) == (None, 22, True)
    assert sum(r["never_reported"] for r in rows.values()) == 41
    assert report["overall"] == {
        "totals": {
            "meetings": 8,
            "irrelevant_meetings": 4,
            "documents": 12,
            "inspections": 2,
            "forms": 4,
            "checkins": 7,
        },
        "days_filled": 7,
        "days_missing": 25 + 41 * 22,
        "points": 44,
        "points_with_missing": 2 + 41,
        "points_never_reported": 41,
    }
    assert report["partial"] is False and (report["from"], report["to"]) == ("2026-09-01", "2026-09-30")

    ahead = client.get(f"{LEDGER}/monthly?month=2026-11", headers=staff_login("triage"))
    assert ahead.status_code == 422 and ahead.get_json()["errors"] == {"month": ["该月份尚未开始"]}
    bad = client.get(f"{LEDGER}/monthly?month=2026-9", headers=staff_login("triage"))
    assert bad.status_code == 422 and bad.get_json()["errors"] == {"month": ["月份格式应为 YYYY-MM，如 2026-09"]}


def _write_quarter(db, code: str, year: int, skip: int = 0, extra: dict[str, int] | None = None, **per_day: int):
    """Fill every working day of Q3 ``year`` but the last ``skip`` with ``per_day``; ``extra`` on the first."""
    point_id = db.session.scalar(select(ObservationPoint.id).where(ObservationPoint.code == code))
    calendar, day, days = WorkCalendar(), date(year, 7, 1), []
    while day <= date(year, 9, 30):
        if calendar.is_workday(day):
            days.append(day)
        day += timedelta(days=1)
    for i, day in enumerate(days[: len(days) - skip]):
        values = counts(**per_day)
        if i == 0 and extra:
            values = {k: values[k] + extra.get(k, 0) for k in values}
        db.session.add(LedgerEntry(point_id=point_id, day=day, note=None, source="test", **values))
    db.session.commit()


def test_quarterly_bulletin_flags_exactly_the_counts_that_went_up(client, db, clock, seeded, staff_login):
    # GC01 complete both years: 67 days (2025) vs 66 days (2026).
    _write_quarter(db, "GC01", 2025, meetings=2, irrelevant_meetings=1, documents=3, inspections=1, forms=1)
    _write_quarter(db, "GC01", 2026, meetings=1, documents=3, inspections=2, forms=1, checkins=1)
    # GC02 complete both years, one document a day, and two more on one day of 2026: 67 vs 68.
    _write_quarter(db, "GC02", 2025, documents=1)
    _write_quarter(db, "GC02", 2026, documents=1, extra={"documents": 2})
    # GC03 started in 2026 (one entry): everything "rises" from nothing, but it is not comparable.
    db.session.add(LedgerEntry(point_id=_point_id(db, "GC03"), day=date(2026, 7, 1), meetings=1, source="test"))
    # GC04 has a gap in 2026 (the last 10 working days): its fall is not a cut in burdens.
    _write_quarter(db, "GC04", 2025, meetings=5)
    _write_quarter(db, "GC04", 2026, skip=10, meetings=1)

    clock.freeze(at("2026-10-14", 10))
    bulletin = client.get(f"{LEDGER}/quarterly?quarter=2026Q3", headers=staff_login("viewer")).get_json()
    assert bulletin["current_period"] == {"from": "2026-07-01", "to": "2026-09-30"}
    assert bulletin["previous_period"] == {"from": "2025-07-01", "to": "2025-09-30"} and bulletin["partial"] is False
    assert [(f["code"], f["count"], f["previous"], f["current"], f["complete"]) for f in bulletin["flags"]] == [
        ("GC01", "inspections", 67, 132, True),
        ("GC01", "checkins", 0, 66, True),
        ("GC02", "documents", 67, 68, True),
        ("GC03", "meetings", 0, 1, False),
    ]
    points = {p["code"]: p for p in bulletin["points"]}
    assert points["GC01"]["change"] == {
        "meetings": -68,
        "irrelevant_meetings": -67,
        "documents": -3,
        "inspections": 65,
        "forms": -1,
        "checkins": 66,
    }
    assert points["GC01"]["complete"] and points["GC01"]["note"] is None
    assert points["GC01"]["current"]["days_filled"] == 66 and points["GC01"]["previous"]["days_filled"] == 67
    assert points["GC04"]["change"]["meetings"] == 56 - 335 and points["GC04"]["increased"] == []
    assert points["GC04"]["note"] == "本季度缺报 10 个工作日，增减仅供参考，不能视为减负成效"
    assert points["GC03"]["note"].startswith("本季度缺报 65 个工作日；去年同期未全程登记")
    gaps = {g["code"] for g in bulletin["incomplete_points"]}
    assert "GC01" not in gaps and "GC02" not in gaps and {"GC03", "GC04", "GC45"} <= gaps and len(gaps) == 43
    assert bulletin["overall"]["previous"]["meetings"] == 134 + 335
    assert bulletin["overall"]["current"]["meetings"] == 66 + 1 + 56
    assert bulletin["overall"]["increased"] == ["inspections", "checkins"]


def test_a_running_quarter_is_compared_with_the_same_dates_a_year_earlier(client, clock, seeded, staff_login):
    clock.freeze(at("2026-10-14", 10))
    headers = staff_login("triage")
    running = client.get(f"{LEDGER}/quarterly?quarter=2026q4", headers=headers).get_json()
    assert running["partial"] is True and running["quarter"] == "2026Q4"
    assert running["current_period"] == {"from": "2026-10-01", "to": "2026-10-14"}
    assert running["previous_period"] == {"from": "2025-10-01", "to": "2025-10-14"}
    ahead = client.get(f"{LEDGER}/quarterly?quarter=2027Q1", headers=headers)
    assert ahead.status_code == 422 and ahead.get_json()["errors"] == {"quarter": ["该季度尚未开始"]}
    bad = client.get(f"{LEDGER}/quarterly?quarter=2026Q5", headers=headers)
    assert bad.status_code == 422 and bad.get_json()["errors"] == {"quarter": ["季度格式应为 YYYYQn，如 2026Q3"]}


def _point_id(db, code: str) -> int:
    return db.session.scalar(select(ObservationPoint.id).where(ObservationPoint.code == code))


# ------------------------------------------------------------------------------------ reminders


def _reminders(db) -> list[str]:
    db.session.rollback()
    return sorted(db.session.scalars(select(OutboxMessage.dedupe_key).where(OutboxMessage.kind == "ledger_missing")))


def _run(clock, moment: datetime) -> dict[str, int]:
    clock.freeze(moment)
    run = run_job("ledger-reminder")
    assert run.outcome == "success", run.error
    return run.counts


def test_reminder_goes_once_to_each_point_that_missed_yesterday(db, clock, fill, seeded):
    fill("GC01", "2026-09-22", meetings=1)
    db.session.execute(ObservationPoint.__table__.update().where(ObservationPoint.code == "GC45").values(active=False))
    db.session.commit()

    # 00:30 on Wed 09-23 China time is still 09-22 in UTC: "yesterday" is Tue 09-22.
    assert _run(clock, at("2026-09-23", 0, 30)) == {"points_checked": 44, "reminders_queued": 43}
    keys = _reminders(db)
    assert len(keys) == 43 and "ledger:GC02:2026-09-22" in keys
    assert "ledger:GC01:2026-09-22" not in keys and "ledger:GC45:2026-09-22" not in keys
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == "ledger:GC02:2026-09-22"))
    assert message.point_id == _point_id(db, "GC02") and "9月22日（星期二）" in message.subject
    assert "2026-09-29 前补填" in message.body

    fill("GC02", "2026-09-22")
    assert _run(clock, at("2026-09-23", 9)) == {"points_checked": 44, "reminders_queued": 0}  # the 09:00 run
    assert len(_reminders(db)) == 43
    assert db.session.scalar(select(func.count()).select_from(JobRun).where(JobRun.outcome == "success")) == 2


def test_no_reminder_for_a_holiday_but_one_for_a_make_up_saturday(db, clock, seeded):
    assert _run(clock, at("2026-10-08", 9)) == {"points_checked": 0, "reminders_queued": 0}  # 10-07 was a holiday
    assert _run(clock, at("2026-10-04", 9)) == {"points_checked": 0, "reminders_queued": 0}
    assert _reminders(db) == []
    assert _run(clock, at("2026-10-09", 9)) == {"points_checked": 45, "reminders_queued": 45}  # Thu 10-08 worked
    assert _run(clock, at("2026-10-11", 9)) == {"points_checked": 45, "reminders_queued": 45}  # Sat 10-10 worked
    assert _run(clock, at("2026-10-12", 9)) == {"points_checked": 0, "reminders_queued": 0}  # Sun 10-11 off
    assert len(_reminders(db)) == 90 and "ledger:GC45:2026-10-10" in _reminders(db)


def test_a_key_taken_by_another_transaction_leaves_this_session_intact(app, db, seeded):
    """The race path (same ledger day, same idempotency key…) answers without rolling the session back:
    what the request already flushed is still there and commits."""
    from feedback.services.inserts import insert_if_absent

    point = db.session.scalar(select(ObservationPoint).order_by(ObservationPoint.id))
    day = date(2026, 9, 1)
    with db.engine.begin() as other:  # the rival request, committed first
        other.execute(LedgerEntry.__table__.insert().values(point_id=point.id, day=day, meetings=3))
    earlier = LedgerEntry(point_id=point.id, day=date(2026, 9, 2), meetings=1)
    db.session.add(earlier)
    db.session.flush()
    assert insert_if_absent(LedgerEntry, {"point_id": point.id, "day": day}, ["point_id", "day"]) is None
    db.session.commit()
    rows = db.session.scalars(select(LedgerEntry).where(LedgerEntry.point_id == point.id).order_by(LedgerEntry.day))
    assert [(e.day, e.meetings) for e in rows] == [(day, 3), (date(2026, 9, 2), 1)]
