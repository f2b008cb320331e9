"""What the operator sees of the holiday data: status, warnings in time, a bad file that breaks nothing."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from config.settings import SettingsError, load_settings
from feedback.jobs import runner
from feedback.models import JobRun, OutboxMessage
from tests.support.holidays import holidays_yaml, statutory_plus

CHINA = ZoneInfo("Asia/Shanghai")
STAFF = "/api/staff/v1"
MP = "/api/mp/v1"
TEXT = "县里每周的调度会都要求社区书记陪会，会上讲的和社区没有关系，一坐就是一上午。"


def cst(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=CHINA)


def good_2027(*workdays: date) -> str:
    """TEST DATA, not the official 2027 schedule: the statutory days plus a bridge Monday 01-04."""
    return holidays_yaml(2027, statutory_plus(2027, date(2027, 1, 4)), workdays)


@pytest.fixture
def holidays_file(app, tmp_path) -> Path:
    path = tmp_path / "holidays.yaml"
    app.config["HOLIDAYS_PATH"] = str(path)
    return path


@pytest.fixture
def clock(app):
    clock = app.extensions["clock"]
    clock.freeze(cst("2026-12-05"))
    return clock


def test_status_names_each_years_source_and_when_deadlines_turn_provisional(runner, clock, holidays_file):
    out = runner.invoke(args=["calendar", "status"])
    assert out.exit_code == 0, out.output
    assert "2025 年：chinesecalendar 库 1.11.0" in out.output
    assert "2026 年：chinesecalendar 库 1.11.0" in out.output
    assert "2027 年：仅按法定节假日（暂定）" in out.output
    assert "正式节假日安排覆盖至 2026-12-31（还有 26 天）" in out.output
    # Counting back 20 working days from 12-31: 12-31..12-28, 12-25..21, 12-18..14, 12-11..07, Fri 12-04.
    assert "最长办理期限 20 个工作日：自 2026-12-04 起新交办的期限为暂定" in out.output
    assert "提醒：正式安排将在 60 天内用完" in out.output

    holidays_file.write_text(good_2027(), encoding="utf-8")
    out = runner.invoke(args=["calendar", "status"])
    assert "2027 年：config/holidays.yaml" in out.output and "覆盖至 2027-12-31" in out.output
    assert "提醒" not in out.output


def test_a_broken_file_keeps_the_last_good_schedule_and_is_reported(
    app, client, runner, clock, holidays_file, seeded, staff_login, mp_login
):
    holidays_file.write_text(good_2027(), encoding="utf-8")
    assert runner.invoke(args=["calendar", "status"]).output.count("config/holidays.yaml") == 1
    # The operator pastes a make-up day that is a weekday: the file is refused, 2027 stays as it was.
    holidays_file.write_text(good_2027(date(2027, 2, 10)), encoding="utf-8")
    triage = staff_login("triage")
    client.post(f"{MP}/feedback", json={"kind": "problem", "content": TEXT}, headers=mp_login())
    fid = client.get(f"{STAFF}/feedback", headers=triage).get_json()["items"][0]["id"]
    clock.freeze(cst("2026-12-11"))
    routed = client.post(f"{STAFF}/feedback/{fid}/route", headers=triage, json={"path": "direct", "primary": "city-wb"})
    assert routed.status_code == 200, routed.get_json()
    primary = routed.get_json()["assignments"][0]
    # With the last good file: 12-14..12-31 are 14 working days, 01-01 off, 01-04 off (file) -> Tue 01-05.
    assert primary["due_at"] == "2027-01-05T16:00:00+00:00" and primary["due_provisional"] is False
    assert client.get(f"{STAFF}/assignments", headers=triage).status_code == 200

    status = runner.invoke(args=["calendar", "status"])
    assert "holidays.yaml 有误，未生效" in status.output and "2027-02-10 不是周末" in status.output
    check = runner.invoke(args=["jobs", "check"])
    assert check.exit_code == 1 and "2027-02-10 不是周末" in check.output

    holidays_file.write_text("years: [\n", encoding="utf-8")  # does not parse
    assert "YAML" in runner.invoke(args=["calendar", "status"]).output
    assert client.get(f"{STAFF}/assignments", headers=triage).status_code == 200


def test_jobs_check_fails_on_coverage_ending_and_on_recent_failures(app, db, runner, clock, holidays_file):
    def record(job_id: str, at: datetime, outcome: str, error: str | None = None) -> None:
        db.session.add(
            JobRun(
                job_id=job_id,
                holder="test",
                started_at=at,
                finished_at=at,
                outcome=outcome,
                counts={},
                error=error,
                attempt=1,
            )
        )
        db.session.commit()

    record("outbox-sender", cst("2026-12-05") - timedelta(minutes=1), "success")
    check = runner.invoke(args=["jobs", "check"])
    assert check.exit_code == 1 and "正式节假日安排只覆盖到 2026-12-31（还有 26 天）" in check.output

    holidays_file.write_text(good_2027(), encoding="utf-8")
    assert runner.invoke(args=["jobs", "check"]).exit_code == 0
    record("monthly-facts", cst("2026-12-04", 18), "failed", "RuntimeError: 月度统计失败\n详细堆栈")
    check = runner.invoke(args=["jobs", "check"])
    assert check.exit_code == 1 and "任务 monthly-facts 于 2026-12-04 18:00:00 运行失败" in check.output
    assert "详细堆栈" not in check.output
    app.extensions["clock"].freeze(cst("2026-12-05", 19))  # more than 24 hours later
    record("outbox-sender", cst("2026-12-05", 19) - timedelta(minutes=1), "success")
    assert runner.invoke(args=["jobs", "check"]).exit_code == 0


def test_the_admin_is_told_once_when_coverage_is_about_to_end(app, db, clock, holidays_file):
    def coverage_notices() -> list[OutboxMessage]:
        return db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "calendar_coverage")).all()

    clock.freeze(cst("2026-10-31", 8))  # 61 days before 12-31: nothing yet
    assert runner.run_job("calendar-watch").outcome == "success"
    assert coverage_notices() == []
    clock.freeze(cst("2026-11-01", 8))
    assert runner.run_job("calendar-watch").counts["operator_notices"] == 1
    clock.freeze(cst("2026-11-02", 8))
    assert runner.run_job("calendar-watch").counts["operator_notices"] == 0
    [notice] = coverage_notices()
    assert "2027 年的节假日安排尚未录入" in notice.subject and "config/holidays.yaml" in notice.body
    assert notice.channel == "webhook" and notice.recipient == "zzb-robot"  # no admin route: the org route

    holidays_file.write_text("years:\n  2027:\n    holidays: [2027-01-01]\n", encoding="utf-8")
    assert runner.run_job("calendar-watch").counts["operator_notices"] == 1
    bad = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "calendar_file_invalid"))
    assert "缺少法定节假日" in bad.body


def test_deadlines_and_paths_can_be_set_from_the_environment():
    settings = load_settings(
        environ={
            "DEADLINES": "respond_direct=10, respond_consult=25",
            "HOLIDAYS_PATH": "/srv/holidays.yaml",
            "NOTIFICATIONS_PATH": "/srv/n.yaml",
        }
    )
    assert settings["DEADLINES"] == {"respond_direct": 10, "respond_consult": 25}
    assert settings["HOLIDAYS_PATH"] == "/srv/holidays.yaml" and settings["NOTIFICATIONS_PATH"] == "/srv/n.yaml"
    for bad in ("respond_direct", "respond_direct=ten", "respond_whenever=3", "respond_direct=-1"):
        with pytest.raises(SettingsError, match="DEADLINES"):
            load_settings(environ={"DEADLINES": bad})
