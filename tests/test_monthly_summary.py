"""The monthly tag-trend summary of a month seeded by hand, checked figure by figure.

September 2026 is seeded through the services with a frozen clock, with June–August 2026 for the
month-on-month and term baselines, September 2025 for year-on-year and one October feedback for the
month boundary. Every number is written out by hand with the arithmetic in comments.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import delete, select

from feedback.jobs.context import JobContext
from feedback.jobs.monthly_summary import publish, refresh_facts
from feedback.models import (
    Feedback,
    FeedbackTerm,
    MonthlyDepartmentFact,
    MonthlyFact,
    MonthlySummary,
    ObservationPoint,
)
from feedback.services.handling import assignments
from feedback.services.handling.actors import Actor
from feedback.services.intake import reporter
from feedback.services.intake.submit import submit_feedback
from feedback.services.triage import decisions as triage
from feedback.services.triage.assigning import route_direct
from tests.support.api import STAFF, ok

CHINA = ZoneInfo("Asia/Shanghai")
TRIAGE = Actor("staff", "triage")

# Contents whose jieba keywords (top 8) are known; tag names among them never count as new terms.
A = "秸秆禁烧巡查要求每天打卡"  # 打卡 禁烧 秸秆 巡查 每天 要求
A_LONG = "秸秆禁烧巡查要求每天打卡。" * 10  # 130 characters, the same six keywords
B = "河长巡河打卡拍照"  # 打卡 河长 巡河 拍照
C = "防汛值班人员每天打卡"  # 打卡 值班人员 防汛 每天
P = "每周都要陪会，耽误工作"  # 陪会 耽误 每周 工作
L = "迎检材料反复留痕，费时费力"  # 迎检材料 留痕 费时费力 反复
R = "报表反复填报，费时费力"  # 费时费力 填报 报表 反复
J = "借调干部长期不回村"  # 回村 借调 干部 长期


def cst(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=CHINA)


class Seeder:
    def __init__(self, app, db):
        self.clock, self.db = app.extensions["clock"], db

    def at(self, *parts: int) -> None:
        self.clock.freeze(cst(*parts))

    def submit(
        self,
        when: tuple,
        content: str,
        tags: list[str],
        kind: str = "problem",
        unit_level: str = "village",
        point: str | None = None,
        region: str | None = None,
    ) -> Feedback:
        self.at(*when)
        submit_feedback(
            "test-pseudonym",
            {"kind": kind, "content": content, "unit_level": unit_level, "point_code": point, "region_code": region},
        )
        feedback = self.db.session.scalar(select(Feedback).order_by(Feedback.id.desc()).limit(1))
        triage.retag(TRIAGE, feedback, tags, None)
        self.db.session.commit()
        return feedback

    def route(self, when: tuple, feedback: Feedback, dept: str):
        self.at(*when)
        (assignment,) = route_direct(TRIAGE, feedback, dept, [], None)
        self.db.session.commit()
        return assignment

    def act(self, when: tuple, change) -> None:
        self.at(*when)
        change()
        self.db.session.commit()

    def close_and_rate(self, when: tuple, assignment, rating: str) -> None:
        def change():
            assignments.accept(TRIAGE, assignment.reports[-1], None)
            feedback = self.db.session.get(Feedback, assignment.feedback_id)
            triage.close(TRIAGE, feedback, None)
            reporter.rate(feedback, rating, None)

        self.act(when, change)


def handler(assignment) -> Actor:
    return Actor("staff", "handler", None, assignment.department_id)


def respond(assignment):
    return assignments.respond(
        handler(assignment), assignment, measures="已整改", result="已完成", summary=None, attachments=[]
    )


@pytest.fixture
def sept(app, db, seeded):
    """Return the September feedback by number (F1..F9) and the October one."""
    s = Seeder(app, db)
    # September 2025 (year on year): 陪会 1, 填报 1.
    s.submit((2025, 9, 10, 10, 0), P, ["peihui"])
    s.submit((2025, 9, 11, 10, 0), R, ["tianbao"])
    # June and July 2026: one each; August 2026: three, one of them assigned on the 31st.
    s.submit((2026, 6, 10, 10, 0), C, ["zhijian"])
    s.submit((2026, 7, 10, 10, 0), R, ["tianbao"])
    s.submit((2026, 8, 10, 10, 0), P, ["peihui"])
    s.submit((2026, 8, 11, 10, 0), L, ["liuhen"])
    aug = s.submit((2026, 8, 12, 10, 0), J, ["jiediao"])
    s.route((2026, 8, 31, 17, 0), aug, "city-tj")
    f = {}
    f[1] = s.submit((2026, 9, 1, 9, 0), A, ["zhijian"], point="GC01")
    f[2] = s.submit((2026, 9, 1, 9, 30), A_LONG, ["zhijian", "liuhen"], point="GC01")
    f[3] = s.submit((2026, 9, 2, 9, 0), B, ["zhijian"], point="GC01")
    f[4] = s.submit((2026, 9, 2, 9, 30), B, ["dujiankao"], kind="suggestion", point="GC01")
    f[5] = s.submit((2026, 9, 2, 9, 45), C, ["zhijian"], point="GC02")
    f[6] = s.submit((2026, 9, 3, 9, 0), P, ["peihui"], point="GC01")
    f[7] = s.submit((2026, 9, 3, 9, 30), L, ["liuhen"], kind="practice", unit_level="township", region="490103001")
    f[8] = s.submit((2026, 9, 30, 23, 50), R, ["tianbao"], unit_level="township", region="490103")  # last minutes
    f[9] = s.submit((2026, 9, 5, 10, 0), A, ["zhijian", "wenze"], unit_level="township", point="GC03")
    october = s.submit((2026, 10, 1, 0, 10), A, ["zhijian"], point="GC04")  # China time: already October
    s.act((2026, 9, 5, 11, 0), lambda: triage.merge(TRIAGE, f[9], f[1].id, None))  # a duplicate: not counted
    s.act((2026, 9, 4, 9, 0), lambda: triage.reject(TRIAGE, f[6], "不属于减负范围"))  # rejected: still counted

    # 市委办 city-wb: F1 on time throughout, rated 满意; F2 acknowledged and answered late, rated 不满意.
    a1 = s.route((2026, 9, 1, 10, 0), f[1], "city-wb")
    s.act((2026, 9, 1, 11, 0), lambda: assignments.acknowledge(handler(a1), a1))
    s.act((2026, 9, 10, 15, 0), lambda: respond(a1))
    s.close_and_rate((2026, 9, 11, 9, 0), a1, "satisfied")
    a2 = s.route((2026, 9, 1, 10, 0), f[2], "city-wb")
    s.act((2026, 9, 3, 9, 0), lambda: assignments.acknowledge(handler(a2), a2))
    s.act((2026, 9, 22, 10, 0), lambda: respond(a2))
    s.close_and_rate((2026, 9, 23, 9, 0), a2, "unsatisfied")
    # 市政府办 city-fb: F3 acknowledged, never answered; F4 assigned late in the month, still pending;
    # F7 answered the next working day, rated 基本满意.
    a3 = s.route((2026, 9, 2, 10, 0), f[3], "city-fb")
    s.act((2026, 9, 2, 12, 0), lambda: assignments.acknowledge(handler(a3), a3))
    s.route((2026, 9, 28, 10, 0), f[4], "city-fb")
    a7 = s.route((2026, 9, 3, 10, 0), f[7], "city-fb")
    s.act((2026, 9, 3, 10, 30), lambda: assignments.acknowledge(handler(a7), a7))
    s.act((2026, 9, 4, 10, 0), lambda: respond(a7))
    s.close_and_rate((2026, 9, 7, 9, 0), a7, "basically_satisfied")
    # 市统计局 city-tj: F5 returned as misrouted on the same day, so not the department's work.
    a5 = s.route((2026, 9, 2, 10, 0), f[5], "city-tj")
    s.act((2026, 9, 2, 11, 0), lambda: assignments.return_assignment(handler(a5), a5, "不属于本部门职责"))
    f["october"] = october
    return f


MONTHS = [
    "2025-10",
    "2025-11",
    "2025-12",
    "2026-01",
    "2026-02",
    "2026-03",
    "2026-04",
    "2026-05",
    "2026-06",
    "2026-07",
    "2026-08",
    "2026-09",
]
Z8 = [0] * 8  # 2025-10 .. 2026-05: nothing was submitted


def tag(code, name, count, previous, last_year, mom_pct, yoy_pct, jun_to_sep):
    return {
        "code": code,
        "name": name,
        "count": count,
        "previous": previous,
        "last_year": last_year,
        "mom_change": count - previous,
        "mom_pct": mom_pct,
        "yoy_change": count - last_year,
        "yoy_pct": yoy_pct,
        "series": Z8 + jun_to_sep,
    }


def mover(code, name, count, previous, mom_pct):
    return {
        "code": code,
        "name": name,
        "count": count,
        "previous": previous,
        "mom_change": count - previous,
        "mom_pct": mom_pct,
    }


def term(word, count, previous, baseline, growth):
    return {"term": word, "count": count, "previous": previous, "baseline": baseline, "growth": growth}


def cells(pairs):
    return [{"key": k, "label": label, "count": n} for k, label, n in pairs]


def expected_payload(db) -> dict:
    points = db.session.scalars(select(ObservationPoint).order_by(ObservationPoint.code))
    return {
        "month": "2026-09",
        "months": MONTHS,
        # September counts F1–F8 (F6 rejected still counts; F9 merged and the October one do not).
        # August 3, September 2025 2: 8-3 = +5, 5/3 = 166.7 %; 8-2 = +6, 6/2 = 300.0 %.
        "total": {
            "count": 8,
            "previous": 3,
            "last_year": 2,
            "mom_change": 5,
            "mom_pct": 166.7,
            "yoy_change": 6,
            "yoy_pct": 300.0,
            "series": Z8 + [1, 1, 3, 8],
        },
        "tags": [  # taxonomy order; series Jun, Jul, Aug, Sep
            tag("peihui", "陪会", 1, 1, 1, 0.0, 0.0, [0, 0, 1, 1]),  # F6 / Aug / Sep 2025
            tag("liuhen", "留痕", 2, 1, 0, 100.0, None, [0, 0, 1, 2]),  # F2 F7; (2-1)/1 = 100 %
            tag("jiediao", "借调", 0, 1, 0, -100.0, None, [0, 0, 1, 0]),
            tag("shudi", "属地甩锅", 0, 0, 0, None, None, [0, 0, 0, 0]),
            tag("dujiankao", "督检考", 1, 0, 0, None, None, [0, 0, 0, 1]),  # F4
            tag("tianbao", "填报", 1, 0, 1, None, 0.0, [0, 1, 0, 1]),  # F8 (23:50 on the 30th)
            tag("zhijian", "指尖", 4, 0, 0, None, None, [1, 0, 0, 4]),  # F1 F2 F3 F5
            tag("wenze", "问责", 0, 0, 0, None, None, [0, 0, 0, 0]),  # only on the merged F9
            tag("wenshan", "文山会海", 0, 0, 0, None, None, [0, 0, 0, 0]),
        ],
        # +4, then three tags at +1 in taxonomy order (留痕, 督检考 before 填报); only one fell.
        "rising": [
            mover("zhijian", "指尖", 4, 0, None),
            mover("liuhen", "留痕", 2, 1, 100.0),
            mover("dujiankao", "督检考", 1, 0, None),
        ],
        "falling": [mover("jiediao", "借调", 0, 1, -100.0)],
        "breakdowns": {
            "kind": cells([("problem", "问题线索", 6), ("suggestion", "意见建议", 1), ("practice", "经验做法", 1)]),
            "unit_level": cells(
                [
                    ("village", "村", 6),
                    ("community", "社区", 0),
                    ("township", "乡镇", 2),
                    ("subdistrict", "街道", 0),
                    ("county", "县（市、区）直机关", 0),
                    ("city", "市直机关", 0),
                    ("unknown", "未填写", 0),
                ]
            ),
            # GC01 and GC02 lie in 490102; F7 (490103001) and F8 (490103) in 490103.
            "region": cells(
                [
                    ("490102", "490102", 6),
                    ("490103", "490103", 2),
                    ("490104", "490104", 0),
                    ("490105", "490105", 0),
                    ("unknown", "未填写", 0),
                ]
            ),
            "point": cells([(p.code, p.name, {"GC01": 5, "GC02": 1}.get(p.code, 0)) for p in points]),
        },
        # Count in September minus the mean of June, July, August (C; R; P L J):
        #   打卡 5 (F1 F2 F3 F4 F5) - 1/3 = 4.67; 每天 3 (F1 F2 F5) - 1/3 = 2.67;
        #   seven terms at 2 - 0 (F1 F2 or F3 F4), in Unicode order 巡查 巡河 拍照 河长 禁烧 秸秆 要求;
        #   反复 and 费时费力 both 2 (F7 F8) - 2/3 = 1.33: the tie goes to 反 (U+53CD) before 费 (U+8D39).
        #   陪会 留痕 填报 are tag names and never listed.
        "emerging_terms": [
            term("打卡", 5, [1, 0, 0], 0.33, 4.67),
            term("每天", 3, [1, 0, 0], 0.33, 2.67),
            *(term(word, 2, [0, 0, 0], 0.0, 2.0) for word in ("巡查", "巡河", "拍照", "河长", "禁烧", "秸秆", "要求")),
            term("反复", 2, [0, 1, 1], 0.67, 1.33),
        ],
        "departments": [
            # city-fb: F3, F4, F7 assigned. Acknowledged on time F3, F7 (F4 still pending past end of 09-29).
            # Responded F7 on 09-04, 1 working day after 09-03: average 1.0. Overdue F3: due end of 09-22
            # (15 working days from 09-02, Sunday 09-20 a make-up workday), unanswered on 10-01. 1 of 1 rated.
            {
                "department_code": "city-fb",
                "department_name": "嵩阳市人民政府办公室",
                "assigned": 3,
                "acknowledged_on_time": 2,
                "responded": 1,
                "responded_on_time": 1,
                "overdue": 1,
                "avg_response_days": 1.0,
                "rated": 1,
                "satisfied": 1,
                "satisfaction_pct": 100.0,
            },
            # city-wb: F1, F2 assigned 09-01; ack due end of 09-02 (F2 acknowledged 09-03: late); due end of
            # 09-21. F1 answered 09-10 (7 working days), F2 on 09-22 (16, late, overdue); (7+16)/2 = 11.5.
            # F1 满意, F2 不满意: 1 of 2 = 50 %.
            {
                "department_code": "city-wb",
                "department_name": "嵩阳市委办公室",
                "assigned": 2,
                "acknowledged_on_time": 1,
                "responded": 2,
                "responded_on_time": 1,
                "overdue": 1,
                "avg_response_days": 11.5,
                "rated": 2,
                "satisfied": 1,
                "satisfaction_pct": 50.0,
            },
            # city-tj: F5 returned (not counted); its August assignment belongs to August.
        ],
    }


def run(job, when: datetime, **params) -> dict:
    return job(JobContext(job_id="monthly-summary", run_id=1, now=when, params=params))


def published(app, db) -> MonthlySummary:
    clock = app.extensions["clock"]
    clock.freeze(cst(2026, 10, 1, 0, 30))
    assert run(publish, clock.now()) == {"published": 1, "skipped": 0}
    db.session.commit()
    return db.session.scalar(select(MonthlySummary))


def test_every_figure_published_on_the_first_and_never_again(app, db, sept):
    clock = app.extensions["clock"]
    first = published(app, db)
    payload, generated = first.payload, first.generated_at
    assert (first.month.isoformat(), generated) == ("2026-09-01", datetime(2026, 9, 30, 16, 30, tzinfo=UTC))
    assert payload == expected_payload(db)
    assert run(publish, clock.now()) == {"published": 0, "skipped": 1}
    clock.freeze(cst(2026, 10, 2, 0, 30))
    assert run(publish, clock.now()) == {"published": 0, "skipped": 1}
    db.session.commit()
    db.session.expire_all()
    (again,) = db.session.scalars(select(MonthlySummary)).all()
    assert (again.payload, again.generated_at) == (payload, generated)
    # A forced rebuild at the same moment gives the very same figures.
    clock.freeze(cst(2026, 10, 1, 0, 30))
    assert run(publish, clock.now(), month="2026-09", force="true") == {"published": 1, "skipped": 0}
    db.session.commit()
    assert db.session.scalar(select(MonthlySummary)).payload == expected_payload(db)


def test_refreshing_facts_twice_gives_identical_rows(app, db, sept):
    clock = app.extensions["clock"]
    clock.freeze(cst(2026, 10, 1, 1, 30))

    def rows():
        facts = {(f.month, f.dimension, f.key, f.count) for f in db.session.scalars(select(MonthlyFact))}
        depts = {
            (
                d.month,
                d.department_id,
                d.assigned,
                d.acknowledged_on_time,
                d.responded,
                d.responded_on_time,
                d.overdue,
                d.response_working_days,
                d.rated,
                d.satisfied,
                d.satisfaction_score,
            )
            for d in db.session.scalars(select(MonthlyDepartmentFact))
        }
        return facts, depts

    counts = run(refresh_facts, clock.now())
    db.session.commit()
    first = rows()
    assert run(refresh_facts, clock.now()) == counts
    db.session.commit()
    assert rows() == first
    assert counts["months"] == 2 and counts["department_facts"] == 2  # September (fb, wb); October none
    assert {m.isoformat() for m, *_ in first[0]} == {"2026-09-01", "2026-10-01"}
    assert ("total", "all", 1) in {(d, k, n) for m, d, k, n in first[0] if m.month == 10}


def test_a_published_month_stays_as_published_until_forced(app, db, client, sept, staff_login):
    clock = app.extensions["clock"]
    published(app, db)
    triage_headers = staff_login("triage")
    # A late September submission (committed just before midnight) lands after publication.
    Seeder(app, db).submit((2026, 9, 30, 23, 59), B, ["wenshan"], point="GC05")
    clock.freeze(cst(2026, 10, 2, 1, 30))
    run(refresh_facts, clock.now())
    db.session.commit()
    assert ok(client.get(f"{STAFF}/summaries/2026-09", headers=triage_headers))["total"]["count"] == 8
    refused = client.post(f"{STAFF}/summaries/2026-09/generate", json={}, headers=triage_headers)
    assert refused.status_code == 409 and refused.get_json()["code"] == "summary_published"
    rebuilt = ok(client.post(f"{STAFF}/summaries/2026-09/generate", json={"force": True}, headers=triage_headers))
    assert rebuilt["total"]["count"] == 9
    assert next(t for t in rebuilt["tags"] if t["code"] == "wenshan")["count"] == 1
    assert ok(client.get(f"{STAFF}/summaries", headers=triage_headers)) == [
        {"month": "2026-09", "generated_at": "2026-10-01T17:30:00+00:00", "total": 9}
    ]


def test_generating_on_demand(app, db, client, sept, staff_login):
    app.extensions["clock"].freeze(cst(2026, 10, 9, 10, 0))
    headers, viewer = staff_login("triage"), staff_login("viewer")
    assert client.post(f"{STAFF}/summaries/2026-08/generate", json={}, headers=viewer).status_code == 403
    # The 12 months before have no facts yet: the request names them instead of computing a year.
    missing = client.post(f"{STAFF}/summaries/2026-08/generate", headers=headers)
    assert missing.status_code == 409 and missing.get_json()["code"] == "facts_missing"
    assert "2025-08、2025-09、2025-10" in missing.get_json()["message"]
    assert "2026-07。" in missing.get_json()["message"]
    db.session.remove()
    built = app.test_cli_runner().invoke(args=["summaries", "facts", "--for", "2026-08"])
    assert built.exit_code == 0 and "2026-08 的月度分析所需的统计数据已齐全" in built.output, built.output
    august = ok(client.post(f"{STAFF}/summaries/2026-08/generate", headers=headers))
    # August 3 against July 1 and August 2025 0.
    assert (august["total"]["count"], august["total"]["previous"], august["total"]["last_year"]) == (3, 1, 0)
    assert august["total"]["series"] == [2, *Z8, 1, 1, 3] and august["suppressed"] is False  # 2025-09 .. 2026-08
    assert [(d["department_code"], d["assigned"]) for d in august["departments"]] == [("city-tj", 1)]
    not_over = client.post(f"{STAFF}/summaries/2026-10/generate", json={}, headers=headers)
    assert not_over.status_code == 422 and "month" in not_over.get_json()["errors"]
    assert client.get(f"{STAFF}/summaries/2026-07", headers=headers).get_json()["code"] == "summary_not_found"
    assert client.get(f"{STAFF}/summaries/2026-7", headers=headers).status_code == 422


def test_viewer_sees_small_cells_and_their_complements_hidden(app, db, client, sept, staff_login):
    published(app, db)
    exact = ok(client.get(f"{STAFF}/summaries/2026-09", headers=staff_login("triage")))
    view = ok(client.get(f"{STAFF}/summaries/2026-09", headers=staff_login("viewer")))
    expected = expected_payload(db)
    assert {k: exact[k] for k in expected} == expected and exact["suppressed"] is False
    assert view["suppressed"] is True
    # One small cell each; its smallest non-zero neighbour is hidden with it, so total minus the rest fails.
    shown = {d: {c["key"]: c["count"] for c in cells_ if c["count"] != 0} for d, cells_ in view["breakdowns"].items()}
    assert shown["unit_level"] == {"village": None, "township": None}
    assert shown["region"] == {"490102": None, "490103": None}
    assert shown["point"] == {"GC01": None, "GC02": None}
    assert sum(c["count"] is None for c in view["breakdowns"]["point"]) == 2  # the 43 zeros stay visible
    # Nothing else changes: kinds, tags, terms and departments are not broken down by place or level.
    for key in ("total", "tags", "rising", "falling", "emerging_terms", "departments"):
        assert view[key] == expected[key], key
    assert view["breakdowns"]["kind"] == expected["breakdowns"]["kind"]
    assert client.get(f"{STAFF}/summaries/2026-09", headers=staff_login("handler", "city-wb")).status_code == 403


def test_excerpts_are_trimmed_content_without_identifying_details(app, db, client, sept, staff_login):
    published(app, db)
    headers, viewer = staff_login("triage"), staff_login("viewer")
    url = f"{STAFF}/summaries/2026-09/excerpts"
    body = {"items": [{"feedback_id": sept[2].id, "note": "打卡类负担集中"}, {"feedback_id": sept[7].id}]}
    chosen = ok(client.put(url, json=body, headers=headers))["excerpts"]
    assert chosen == [
        {
            "feedback_id": sept[2].id,
            "kind": "problem",
            "kind_label": "问题线索",
            "tags": ["留痕", "指尖"],
            "text": A_LONG[:120] + "…",
            "note": "打卡类负担集中",
        },
        {
            "feedback_id": sept[7].id,
            "kind": "practice",
            "kind_label": "经验做法",
            "tags": ["留痕"],
            "text": L,
            "note": None,
        },
    ]
    shown = ok(client.get(f"{STAFF}/summaries/2026-09", headers=viewer))["excerpts"]
    assert shown == [{k: v for k, v in e.items() if k != "feedback_id"} for e in chosen]
    for wrong in (
        [{"feedback_id": sept["october"].id}],
        [{"feedback_id": sept[9].id}],
        [{"feedback_id": sept[i].id} for i in range(1, 7)],
    ):
        reply = client.put(url, json={"items": wrong}, headers=headers)
        assert reply.status_code == 422, wrong
    assert client.put(url, json=body, headers=viewer).status_code == 403


def test_xlsx_and_csv_carry_the_readers_numbers_under_chinese_headers(app, db, client, sept, staff_login):
    published(app, db)
    for role in ("viewer", "triage"):
        headers = staff_login(role)
        view = ok(client.get(f"{STAFF}/summaries/2026-09", headers=headers))
        reply = client.get(f"{STAFF}/summaries/2026-09/export.xlsx", headers=headers)
        assert reply.status_code == 200 and "attachment" in reply.headers["Content-Disposition"]
        book = load_workbook(io.BytesIO(reply.data))
        assert book.sheetnames == ["概览", "标签趋势", "分类统计", "新词预警", "部门绩效", "典型反映"]
        overview = {row[0]: row[1] for row in book["概览"].iter_rows(values_only=True) if row and row[0]}
        assert [overview[k] for k in ("月份", "反映总数", "上月", "环比变化率(%)")] == ["2026-09", 8, 3, 166.7]
        tag_rows = [
            [
                t["name"],
                t["count"],
                t["previous"],
                t["mom_change"],
                t["mom_pct"],
                t["last_year"],
                t["yoy_change"],
                t["yoy_pct"],
                *t["series"],
            ]
            for t in view["tags"]
        ]
        assert [list(r) for r in book["标签趋势"].iter_rows(values_only=True)] == [TAG_HEADERS, *tag_rows]
        cells_shown = [
            (BREAKDOWN_TITLES[d], c["label"], "*" if c["count"] is None else c["count"])
            for d in BREAKDOWN_TITLES
            for c in view["breakdowns"][d]
        ]
        sheet = [r for r in book["分类统计"].iter_rows(values_only=True) if r[1] is not None]
        assert sheet == [("维度", "类别", "反映数"), *cells_shown]
        assert ("单位层级", "村", "*" if role == "viewer" else 6) in sheet
        terms = list(book["新词预警"].iter_rows(values_only=True))
        assert len(terms) == 11 and terms[1] == ("打卡", 5, "1、0、0", 0.33, 4.67)
        assert terms[0] == ("词语", "本月反映数", "前三月反映数（逐月）", "前三月平均", "增长")
        assert list(book["部门绩效"].iter_rows(values_only=True))[1:] == [
            ("嵩阳市人民政府办公室", 3, 2, 1, 1, 1, 1.0, 1, 1, 100.0),
            ("嵩阳市委办公室", 2, 1, 2, 1, 1, 11.5, 2, 1, 50.0),
        ]
        assert next(book["典型反映"].iter_rows(values_only=True))[:4] == ("序号", "类型", "标签", "反映内容（摘录）")
        # The CSV is the same tag table, UTF-8 with a BOM; an empty cell where a percentage has no base.
        reply = client.get(f"{STAFF}/summaries/2026-09/export.csv", headers=headers)
        assert reply.status_code == 200 and reply.mimetype == "text/csv" and reply.data.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(reply.data.decode("utf-8-sig"))))
        assert rows == [TAG_HEADERS, *([("" if v is None else str(v)) for v in r] for r in tag_rows)]
        assert rows[2] == ["留痕", "2", "1", "1", "100.0", "0", "2", "", *map(str, Z8), "0", "0", "1", "2"]


TAG_HEADERS = ["标签", "本月", "上月", "环比变化", "环比变化率(%)", "去年同月", "同比变化", "同比变化率(%)", *MONTHS]
BREAKDOWN_TITLES = {"kind": "反映类型", "unit_level": "单位层级", "region": "地区", "point": "观测点"}


def test_text_that_looks_like_a_formula_stays_text_in_the_workbook(app, db, client, seeded, staff_login):
    """A complaint starting with ``=`` must not become a live formula (link) for whoever opens the file."""
    s = Seeder(app, db)
    evil = '=HYPERLINK("http://example.invalid/x","点击查看")每周都要陪会，耽误工作'
    feedback = s.submit((2026, 9, 2, 10, 0), evil, ["peihui"])
    s.submit((2026, 9, 3, 10, 0), "@SUM(1+1)*cmd|' /C calc'!A0 报表反复填报，费时费力", ["tianbao"])
    published(app, db)
    headers = staff_login("triage")
    body = {"items": [{"feedback_id": feedback.id, "note": "+1-1=0 典型"}]}
    ok(client.put(f"{STAFF}/summaries/2026-09/excerpts", json=body, headers=headers))
    reply = client.get(f"{STAFF}/summaries/2026-09/export.xlsx", headers=headers)
    book = load_workbook(io.BytesIO(reply.data))
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row if c.value is not None]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    excerpt = list(book["典型反映"].iter_rows(values_only=True))[1]
    assert excerpt[3] == evil and excerpt[4] == "+1-1=0 典型"


def test_forced_regeneration_refreshes_the_month_before_the_trend_reads(app, db, client, seeded, staff_login):
    s = Seeder(app, db)
    s.submit((2026, 8, 10, 10, 0), P, ["peihui"])
    s.submit((2026, 9, 10, 10, 0), P, ["peihui"])
    app.extensions["clock"].freeze(cst(2026, 10, 9, 10, 0))
    headers = staff_login("triage")
    db.session.remove()
    assert app.test_cli_runner().invoke(args=["summaries", "facts"]).exit_code == 0  # the 12 months before
    first = ok(client.post(f"{STAFF}/summaries/2026-09/generate", json={}, headers=headers))
    assert (first["total"]["previous"], first["total"]["series"][-2:]) == (1, [1, 1])
    # August changes after publication: one more August feedback, and the first one retagged.
    late = s.submit((2026, 8, 20, 10, 0), L, ["liuhen"])
    august = db.session.scalar(
        select(Feedback).where(Feedback.id != late.id, Feedback.submitted_on < cst(2026, 9, 1).date())
    )
    s.act((2026, 10, 9, 10, 5), lambda: triage.retag(TRIAGE, august, ["wenshan"], None))
    app.extensions["clock"].freeze(cst(2026, 10, 9, 11, 0))
    rebuilt = ok(client.post(f"{STAFF}/summaries/2026-09/generate", json={"force": True}, headers=headers))
    assert (rebuilt["total"]["previous"], rebuilt["total"]["series"][-2:]) == (2, [2, 1])
    by_code = {t["code"]: t for t in rebuilt["tags"]}
    assert (by_code["peihui"]["previous"], by_code["wenshan"]["previous"], by_code["liuhen"]["previous"]) == (0, 1, 1)


def test_terms_cut_at_intake_are_what_the_backfill_cuts(app, db, sept):
    """Feedback from before feedback_terms existed gets the same terms from `flask summaries terms`."""

    def terms() -> set[tuple[int, str, str]]:
        db.session.expire_all()
        return {(t.feedback_id, t.term, t.submitted_on.isoformat()) for t in db.session.scalars(select(FeedbackTerm))}

    at_intake = terms()
    assert any(term == "禁烧" for _, term, _ in at_intake)  # an HMM word: the tagger's tokens lack it
    db.session.execute(delete(FeedbackTerm))
    db.session.commit()
    db.session.remove()
    done = app.test_cli_runner().invoke(args=["summaries", "terms", "--batch", "3"])
    assert done.exit_code == 0 and f"共处理 {len({t[0] for t in at_intake})} 条反映" in done.output, done.output
    assert terms() == at_intake
