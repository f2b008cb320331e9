"""观测点台账 and the liaison's pages in the console: the heat map carries the API's monthly figures, the
completeness calendar shows holidays and make-up days, the bulletin flags every rise; a liaison
registers a day and submits a feedback in the point's name; nobody else can."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from feedback.models import Feedback, LedgerEntry, ObservationPoint
from tests.support.api import STAFF, ok
from tests.support.console import console_client
from tests.support.tables import tables

CHINA = ZoneInfo("Asia/Shanghai")
LEDGER = f"{STAFF}/ledger"
ZERO = {"meetings": 0, "irrelevant_meetings": 0, "documents": 0, "inspections": 0, "forms": 0, "checkins": 0}
CONTENT = "镇里要求每个村每周上报三张防汛检查表，内容和上周完全一样，村干部每周要花一整天填表。"


def at(day: str, hour: int = 20) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(hour), tzinfo=CHINA).astimezone(UTC)


@pytest.fixture
def clock(app):
    return app.extensions["clock"]


@pytest.fixture
def filled(client, clock, seeded, staff_login):
    """GC01 and GC02 keep September 2026 partly through the API, seen on Wednesday 2026-09-30."""
    liaisons = {p: staff_login("liaison", point_code=p, username=f"liaison-{p.lower()}") for p in ("GC01", "GC02")}
    plan = [
        ("GC01", "2026-09-21", {"meetings": 3, "irrelevant_meetings": 1, "documents": 4}),
        ("GC01", "2026-09-22", {"meetings": 2, "forms": 5}),
        ("GC01", "2026-09-23", {"inspections": 1, "checkins": 2}),
        ("GC02", "2026-09-22", {"meetings": 1, "documents": 9}),
    ]
    for point, day, given in plan:
        clock.freeze(at(day))
        ok(client.put(f"{LEDGER}/{day}", json={**ZERO, **given}, headers=liaisons[point]))
    clock.freeze(at("2026-09-30", 10))
    return liaisons


def test_heat_map_carries_the_api_monthly_figures(app, db, client, staff_login, filled):
    api = ok(client.get(f"{LEDGER}/monthly?month=2026-09", headers=staff_login("viewer")))
    html = console_client(app, db, "viewer").get("/console/ledger?month=2026-09&count=documents").get_data(as_text=True)
    shown = tables(html)
    month = {row[0]: row[1:] for row in shown["heat-month"][1:]}
    assert len(month) == len(api["points"]) + 1  # every point, then the total row
    for point in api["points"]:
        row = month[f"{point['name']} {point['code']}"]
        expected = [str(point["totals"][n]) for n in ZERO] + [str(point["days_filled"])]
        assert row[:7] == expected, point["code"]
        assert row[7].split()[0] == str(point["days_missing"])
    total = month[f"合计（{api['overall']['points']} 个观测点）"]
    assert total == [str(api["overall"]["totals"][n]) for n in ZERO] + [
        str(api["overall"]["days_filled"]),
        str(api["overall"]["days_missing"]),
    ]
    # The trend matrix: the chosen count (收文) per point per month; September is the API's figure.
    trend = shown["heat-trend"]
    assert trend[0] == ["观测点", "2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09"]
    rows = {row[0]: row[1:] for row in trend[1:]}
    assert rows["城关区东关街道"][-1] == "4" and rows["城关区东关街道朝阳社区"][-1] == "9"
    # Numbers in text, shades only repeat them: the largest figure is the darkest, 0 the lightest.
    assert re.search(r'class="num heat-5" data-count="documents">9<', html)
    assert re.search(r'class="num heat-0" data-count="documents">0<', html)
    assert "从未登记" in html  # GC03…: active points that never filled anything
    assert 'href="/console/ledger/points/GC01?month=2026-09"' in html


def test_completeness_calendar_shows_holidays_make_up_days_and_missing_days(app, db, client, staff_login, filled):
    api = ok(client.get(f"{LEDGER}/points/GC01?month=2026-09", headers=staff_login("triage")))
    html = console_client(app, db, "triage").get("/console/ledger/points/GC01?month=2026-09").get_data(as_text=True)
    cells = dict(re.findall(r'data-day="(\d{4}-\d\d-\d\d)" data-kind="\w+">(.*?)</td>', html, re.S))

    def text(day: str) -> str:
        return re.sub(r"<[^>]+>|\s+", " ", cells[day]).split()

    assert text("2026-09-20") == ["20", "调休上班", "首次登记前"]  # a Sunday worked, before GC01's first entry
    assert text("2026-09-25") == ["25", "节假日"]  # 中秋节, a Friday off: not missing
    assert text("2026-09-26") == ["26", "休息日"]
    assert text("2026-09-21") == ["21", "已登记"]
    assert text("2026-09-24") == ["24", "缺报"] and text("2026-09-28") == ["28", "缺报"]
    assert text("2026-09-30") == ["30", "今天"]
    assert api["missing_days"] == ["2026-09-24", "2026-09-28", "2026-09-29"]
    assert "2026-09-24、2026-09-28、2026-09-29" in html
    entries = {row[0]: row[1:7] for row in tables(html)["point-entries"][1:]}
    assert entries["2026-09-21"] == ["3", "1", "4", "0", "0", "0"]
    assert entries["合计"] == [str(api["totals"][n]) for n in ZERO]
    assert console_client(app, db, "viewer").get("/console/ledger/points/NOPE").status_code == 404


def test_quarterly_bulletin_flags_every_rise_and_prints(app, db, client, staff_login, filled):
    gc01 = db.session.scalar(select(ObservationPoint).where(ObservationPoint.code == "GC01"))
    # A year earlier GC01 kept the whole of 2025Q3 with one meeting a working day in July only.
    db.session.add(LedgerEntry(point_id=gc01.id, day=date(2025, 7, 1), meetings=1, source="liaison"))
    db.session.commit()
    api = ok(client.get(f"{LEDGER}/quarterly?quarter=2026Q3", headers=staff_login("viewer")))
    html = console_client(app, db, "viewer").get("/console/ledger/bulletin?quarter=2026Q3").get_data(as_text=True)
    flags = tables(html)["bulletin-flags"][1:]
    assert len(flags) == len(api["flags"]) > 0
    for flag, row in zip(api["flags"], flags, strict=True):
        assert row[:5] == [f"{flag['name']}（{flag['code']}）", flag["label"], str(flag["current"]),
                           str(flag["previous"]), f"↑ 增加 {flag['change']}"]  # fmt: skip
    assert "只减不增" in html and "登记不全，仅供参考" in html  # neither year was kept in full
    assert 'src="/static/console/ledger.js"' in html and "纸张选 A4" in html
    css = (Path(app.static_folder) / "console" / "console.css").read_text(encoding="utf-8")
    assert "@page { size: A4" in css and "thead { display: table-header-group; }" in css
    assert "季度格式应为 YYYYQn" in console_client(app, db, "viewer").get(
        "/console/ledger/bulletin?quarter=Q3"
    ).get_data(as_text=True)


def test_liaison_registers_a_day_and_sees_it_in_the_api(app, db, client, clock, seeded, staff_login):
    clock.freeze(at("2026-09-23", 18))
    liaison = console_client(app, db, "liaison", point_code="GC01", username="liaison-gc01")
    page = liaison.get("/console/point/ledger").get_data(as_text=True)
    assert "2026-09-23（今天）的登记" in page and "城关区东关街道" in page
    recent = [row[0] for row in tables(page)["recent-days"][1:]]
    assert recent[0] == "2026-09-23（今天）" and recent[-1] == "2026-09-16" and len(recent) == 8
    form = {**{n: "0" for n in ZERO}, "meetings": "3", "irrelevant_meetings": "1", "note": "镇防汛会议"}
    saved = liaison.post("/console/point/ledger", data={**form, "day": "2026-09-22", "csrf_token": liaison.csrf})
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/console/point/ledger?day=2026-09-22")
    assert "已保存 2026-09-22 的登记" in liaison.get(saved.headers["Location"]).get_data(as_text=True)
    headers = staff_login("liaison", point_code="GC01", username="liaison-gc01")
    api = ok(client.get(f"{LEDGER}?from=2026-09-22&to=2026-09-22", headers=headers))
    assert api["entries"][0]["meetings"] == 3 and api["entries"][0]["note"] == "镇防汛会议"
    # The API's rules, in Chinese, with what was typed kept.
    bad = liaison.post(
        "/console/point/ledger",
        data={**form, "irrelevant_meetings": "5", "documents": "两份", "day": "2026-09-23", "csrf_token": liaison.csrf},
    )
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "收文份数" in html and "应为整数" in html and 'value="两份"' in html
    bad = liaison.post(
        "/console/point/ledger",
        data={**form, "irrelevant_meetings": "5", "day": "2026-09-23", "csrf_token": liaison.csrf},
    )
    assert bad.status_code == 422 and "陪会次数（与本点无关的会议）不能多于参会次数" in bad.get_data(as_text=True)
    locked = liaison.post("/console/point/ledger", data={**form, "day": "2026-09-01", "csrf_token": liaison.csrf})
    assert "更早的日期如需更正请联系组织部" in liaison.get(locked.headers["Location"]).get_data(as_text=True)
    odd = liaison.post("/console/point/ledger", data={**form, "day": "9月23日", "csrf_token": liaison.csrf})
    assert "日期格式应为 YYYY-MM-DD" in liaison.get(odd.headers["Location"]).get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == 1
    page = liaison.get("/console/point/ledger?day=2026-09-22").get_data(as_text=True)
    assert 'value="3"' in page and "镇防汛会议" in page and "修改" in page


def test_liaison_submits_a_feedback_in_the_points_name(app, db, client, clock, seeded, staff_login):
    clock.freeze(at("2026-09-23", 10))
    liaison = console_client(app, db, "liaison", point_code="GC02")
    form_page = liaison.get("/console/point/submit").get_data(as_text=True)
    assert "这不是匿名反映" in form_page and "以观测点“城关区东关街道朝阳社区”（GC02）的名义提出" in form_page
    key = re.search(r'name="key" value="([0-9a-f]{32})"', form_page).group(1)
    data = {"kind": "problem", "content": CONTENT, "unit_level": "community", "key": key, "csrf_token": liaison.csrf}
    done = liaison.post("/console/point/submit", data=data)
    html = done.get_data(as_text=True)
    assert done.status_code == 200 and "反映已提交" in html and "查询码" in html
    receipt = re.search(r'<p class="receipt">(\S+)</p>', html).group(1)
    again = liaison.post("/console/point/submit", data=data).get_data(as_text=True)  # reload: no second feedback
    assert receipt in again and "重复提交" in again
    db.session.rollback()
    (feedback,) = db.session.scalars(select(Feedback)).all()
    shown = ok(client.get(f"{STAFF}/feedback/{feedback.id}", headers=staff_login("triage")))
    assert shown["point"] == {"code": "GC02", "name": "城关区东关街道朝阳社区"} and shown["content"] == CONTENT
    short = liaison.post("/console/point/submit", data={**data, "content": "太多", "key": "0" * 32})
    assert short.status_code == 422 and "反映内容太短" in short.get_data(as_text=True)


@pytest.mark.parametrize(
    ("role", "extra"), [("viewer", {}), ("triage", {}), ("handler", {"department_code": "city-wb"})]
)
def test_only_liaisons_use_the_point_pages(app, db, seeded, role, extra):
    staff = console_client(app, db, role, **extra)
    for path in ("/console/point/ledger", "/console/point/submit"):
        reply = staff.get(path)
        assert reply.status_code == 403 and "只有观测点联络员可以使用此页面" in reply.get_data(as_text=True)
    posted = staff.post("/console/point/submit", data={"kind": "problem", "content": CONTENT, "csrf_token": staff.csrf})
    assert posted.status_code == 403


def test_liaisons_and_handlers_cannot_read_the_ledger(app, db, seeded):
    for staff in (
        console_client(app, db, "liaison", point_code="GC01"),
        console_client(app, db, "handler", department_code="city-wb"),
    ):
        for path in ("/console/ledger", "/console/ledger/points/GC01", "/console/ledger/bulletin"):
            reply = staff.get(path)
            assert reply.status_code == 403 and "只有组织部和领导可以查看观测点台账" in reply.get_data(as_text=True)
    liaison = console_client(app, db, "liaison", point_code="GC01").get("/console/").get_data(as_text=True)
    assert 'href="/console/point/ledger"' in liaison and 'href="/console/ledger"' not in liaison
