"""系统状态: the admin sees where the holiday data comes from and how the jobs ran; nobody else does."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from feedback.models import JobRun
from feedback.services.admin.staff_auth import create_user
from tests.conftest import STAFF_TEST_PASSWORD

CHINA = ZoneInfo("Asia/Shanghai")


def log_in(client, db, username, role):
    create_user(username, STAFF_TEST_PASSWORD, role)
    db.session.commit()
    client.post("/console/login", data={"username": username, "password": STAFF_TEST_PASSWORD})


def test_admin_sees_calendar_sources_coverage_and_job_runs(app, client, db, tmp_path):
    app.config["HOLIDAYS_PATH"] = str(tmp_path / "holidays.yaml")
    app.extensions["clock"].freeze(datetime(2026, 12, 5, 10, tzinfo=CHINA))
    db.session.add(
        JobRun(
            job_id="deadline-watch",
            holder="h:1",
            started_at=datetime(2026, 12, 5, 9, 5, tzinfo=CHINA),
            finished_at=datetime(2026, 12, 5, 9, 5, tzinfo=CHINA),
            outcome="failed",
            counts={},
            error="RuntimeError at services/notices/deadline_watch.py:42\nstack",
            attempt=1,
        )
    )
    db.session.commit()
    log_in(client, db, "it-admin", "admin")
    page = client.get("/console/system")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "2027 年</th><td>仅按法定节假日（暂定）" in html and "chinesecalendar 库 1.11.0" in html
    assert "2026-12-31（还有 26 天）" in html and "2026-12-04 起交办" in html
    assert "正式节假日安排将在 60 天内用完" in html
    assert "2026-12-05 09:05" in html and "失败" in html and "deadline_watch.py:42" in html and "stack" not in html
    assert "从未运行" in html  # the other jobs
    (tmp_path / "holidays.yaml").write_text("years:\n  2027:\n    holidays: [2027-01-01]\n", encoding="utf-8")
    html = client.get("/console/system").get_data(as_text=True)
    assert "holidays.yaml 有误，未生效" in html and "缺少法定节假日" in html
    assert 'href="/console/system"' in html  # in the admin's navigation


def test_other_roles_are_refused_in_chinese(client, db):
    log_in(client, db, "zzb-triage", "triage")
    page = client.get("/console/system")
    assert page.status_code == 403 and "只有系统管理员可以查看系统状态" in page.get_data(as_text=True)
    assert 'href="/console/system"' not in client.get("/console/").get_data(as_text=True)


def test_admin_pages_through_the_run_history_of_one_job(client, db):
    for n in range(25):
        db.session.add(
            JobRun(
                job_id="outbox-sender" if n % 2 else "deadline-watch",
                holder="web-1:42",
                started_at=datetime(2026, 12, 4, 8, n, tzinfo=CHINA),
                finished_at=datetime(2026, 12, 4, 8, n, tzinfo=CHINA),
                outcome="success",
                counts={"sent": n},
                error=None,
                attempt=1,
            )
        )
    db.session.commit()
    log_in(client, db, "it-admin", "admin")
    html = client.get("/console/system").get_data(as_text=True)
    assert "运行记录" in html and "共 25 条，第 1 / 2 页" in html and "sent 24" in html and "web-1:42" in html
    only = client.get("/console/system?job=outbox-sender").get_data(as_text=True).split('id="runs-heading"')[1]
    assert "共 12 条" in only and "sent 23" in only and "sent 24" not in only
    second = client.get("/console/system?page=2").get_data(as_text=True)
    assert "第 2 / 2 页" in second and "sent 0<" in second
