"""A realistic feedback history for the benchmark, as rows in the database's own column order.

24 months ending at ``t0`` (10:00 China time on the last working day up to the generation time):
volumes grow over the period, with one campaign month (the last complete one) of ~9.7 % of all
feedback, the month the monthly summary is measured on. Per feedback ~2.4 tags, ~1.1 assignments,
~3.3 events. Statuses and deadlines follow the workflow by age: recent feedback is mostly open, old
feedback mostly closed; deadlines are computed with the real WorkCalendar. As of ``t0`` the
deadline watch has done everything it must (overdue marks, 督办/通报 items, notices), so a scan at
``t0`` has nothing to do; ``catch_up`` is a later working-day moment at which a scan has ~5,600
notices to write. Pure Python: make_data.py writes the rows.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import chain

from feedback.calendar import CHINA, WorkCalendar
from feedback.services.reporting.terms import KEYWORDS_PER_FEEDBACK
from tests.bench.corpus import CLOSINGS, CONSEQUENCES, INSTRUCTIONS, OPENINGS, PROBLEMS, RARE_FRAGMENT, REASONS

CAMPAIGN_SHARE = 0.09684  # 96,840 of 10^6: the month the issue measured
TARGET_NOTICES = 5600

COLUMNS = {
    "feedback": (
        "id",
        "kind",
        "status",
        "content",
        "anonymous",
        "region_code",
        "unit_level",
        "point_id",
        "receipt_hash",
        "submitted_at",
        "submitted_on",
        "updated_at",
        "routing_suggestion",
        "merged_into_id",
        "imposer_level",
        "route_path",
        "paused_at",
        "paused_from_status",
        "reopen_count",
        "closed_at",
        "rating",
    ),
    "feedback_tags": ("id", "feedback_id", "tag_id", "score", "matched", "source", "created_at"),
    "search": ("feedback_id", "tokens"),
    "assignments": (
        "id",
        "feedback_id",
        "department_id",
        "role",
        "path",
        "status",
        "instructions",
        "assigned_at",
        "acknowledge_due_at",
        "return_due_at",
        "due_at",
        "acknowledge_days",
        "return_days",
        "due_days",
        "due_provisional",
        "acknowledged_at",
        "responded_at",
        "accepted_at",
        "waived_at",
        "extension_days",
        "overdue_at",
        "paused",
        "due_soon_queued_at",
        "unacknowledged_queued_at",
        "tongbao_at",
        "under_supervision",
    ),
    "events": (
        "id",
        "feedback_id",
        "assignment_id",
        "actor_type",
        "actor_role",
        "action",
        "from_status",
        "to_status",
        "reason",
        "visible_to_reporter",
        "created_at",
    ),
    "outbox_messages": (
        "id",
        "dedupe_key",
        "kind",
        "channel",
        "department_id",
        "subject",
        "body",
        "payload",
        "status",
        "attempts",
        "next_attempt_at",
        "created_at",
        "sent_at",
    ),
    "supervisions": ("id", "assignment_id", "department_id", "level", "created_at", "resolved_at"),
    "feedback_terms": ("feedback_id", "term", "submitted_on"),
}

UNIT_LEVELS = ("village", "community", "township", "subdistrict", None)
IMPOSERS = ("province", "city", "district", None, None)


@dataclass
class Reference:
    tags: dict[str, int]  # code -> id
    departments: list[tuple[int, str, str, str]]  # id, code, name, level (org departments excluded)
    points: list[tuple[int, str]]  # id, region_code
    tokens: object  # callable: text -> list of search tokens
    keyword_counts: object  # callable: text -> Counter of keyword candidates (Tagger.keyword_counts)
    rank_keywords: object  # callable: (Counter, top_k) -> monthly terms (Tagger.rank_keywords)


@dataclass
class Plan:
    t0: datetime
    months: list[tuple[date, int]]  # (first day, feedback count)
    campaign_month: date
    catch_up: datetime | None = None
    expected_notices: int = 0
    counts: dict[str, int] = field(default_factory=dict)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=CHINA).astimezone(UTC)


def _naive(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return (moment if moment.tzinfo is UTC else moment.astimezone(UTC)).replace(tzinfo=None)


def pick_t0(cal: WorkCalendar, now: datetime) -> datetime:
    day = now.astimezone(CHINA).date()
    if now.astimezone(CHINA).hour < 10:
        day -= timedelta(days=1)
    while not cal.is_workday(day):
        day -= timedelta(days=1)
    return datetime.combine(day, time(10), tzinfo=CHINA).astimezone(UTC)


def plan(total: int, t0: datetime) -> Plan:
    today = t0.astimezone(CHINA).date()
    first = date(today.year - 2 + (today.month == 12), (today.month % 12) + 1, 1)
    months = []
    m = first
    while m <= today:
        months.append(m)
        m = date(m.year + (m.month == 12), m.month % 12 + 1, 1)
    campaign = months[-2]
    in_current = (today.day / 31) * total * 0.05
    campaign_n = round(total * CAMPAIGN_SHARE)
    rest = total - campaign_n - round(in_current)
    ramp = [1 + i / (len(months) - 3) for i in range(len(months) - 2)]  # 1x .. 2x over the period
    counts = [round(rest * w / sum(ramp)) for w in ramp] + [campaign_n, round(in_current)]
    counts[-1] += total - sum(counts)
    return Plan(t0, list(zip(months, counts, strict=True)), campaign)


def _status(age_days: float, rng: random.Random) -> str:
    table = (
        (2, (("submitted", 80), ("needs_info", 5), ("rejected", 5), ("assigned", 10))),
        (
            20,
            (
                ("assigned", 55),
                ("in_consultation", 5),
                ("responded", 15),
                ("closed", 10),
                ("needs_info", 4),
                ("rejected", 6),
                ("merged", 3),
                ("submitted", 2),
            ),
        ),
        # past the usual 15 working days: most departments have answered, some are overdue
        (
            30,
            (
                ("assigned", 12),
                ("in_consultation", 2),
                ("responded", 35),
                ("closed", 39),
                ("needs_info", 3),
                ("rejected", 6),
                ("merged", 3),
            ),
        ),
        (
            60,
            (
                ("assigned", 5),
                ("in_consultation", 1),
                ("responded", 20),
                ("closed", 66),
                ("needs_info", 2),
                ("rejected", 5),
                ("merged", 3),
            ),
        ),
        (10**9, (("closed", 88), ("rejected", 6), ("merged", 4), ("assigned", 1), ("responded", 1))),
    )
    for limit, weights in table:
        if age_days < limit:
            names, w = zip(*weights, strict=True)
            return rng.choices(names, w)[0]
    raise AssertionError


class History:
    """Generates rows table by table; ids are dense from 1. Keeps the running assignments for the
    catch-up estimate only."""

    def __init__(self, ref: Reference, cal: WorkCalendar, p: Plan, seed: int = 12) -> None:
        self.ref, self.cal, self.plan = ref, cal, p
        self.rng = random.Random(seed)
        self.ids = {name: 0 for name in COLUMNS}
        self._token_cache: dict[str, list[str]] = {}
        self._count_cache: dict[str, Counter] = {}
        self.horizon = cal.add_working_days(p.t0, 2)
        self.tongbao_cutoff = self._cutoff(p.t0)
        self.running: list[tuple[datetime, datetime, bool, bool]] = []  # due, ack_due, pending, overdue
        self._tag_codes = sorted(ref.tags)
        weights = [6 if level == "district" else 3 if level == "city" else 1 for _, _, _, level in ref.departments]
        self._dept_weights = weights
        self._suggestions = {
            d[0]: json.dumps(
                {
                    "path": "direct",
                    "primary": {"code": d[1], "name": d[2], "level": d[3]},
                    "cooperating": [],
                    "deadline_class": "respond_direct",
                    "rules": ["bench"],
                    "reason": "职责清单匹配",
                    "matched": [],
                },
                ensure_ascii=False,
            )
            for d in ref.departments
        }

    def _cutoff(self, moment: datetime, n: int = 5) -> datetime:
        day, counted = moment.astimezone(CHINA).date(), 0
        while True:
            if self.cal.is_workday(day):
                counted += 1
                if counted == n:
                    return _day_start(day)
            day -= timedelta(days=1)

    def _next(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def _tokens(self, fragment: str) -> list[str]:
        tokens = self._token_cache.get(fragment)
        if tokens is None:
            tokens = self._token_cache[fragment] = list(self.ref.tokens(fragment))
        return tokens

    def _terms(self, parts: list[str]) -> list[str]:
        """reporting.terms.keywords of the joined text, from each fragment's counts (jieba cuts at
        the punctuation every fragment ends with, so the counts add up; see Tagger.keyword_counts)."""
        words: Counter = Counter()
        for part in parts:
            counts = self._count_cache.get(part)
            if counts is None:
                counts = self._count_cache[part] = self.ref.keyword_counts(part)
            words.update(counts)
        return [t for t in self.ref.rank_keywords(words, KEYWORDS_PER_FEEDBACK) if len(t) <= 64]

    def _text(self, kind: str, tags: list[str]) -> tuple[str, str, list[str]]:
        rng = self.rng
        parts = [rng.choice(OPENINGS)]
        parts += [rng.choice(PROBLEMS[t]) for t in tags]
        if rng.random() < 0.5:
            parts.append(rng.choice(CONSEQUENCES))
        if rng.random() < 0.002:
            parts.append(RARE_FRAGMENT)
        parts.append(rng.choice(CLOSINGS[kind]))
        parts = [p.replace("{n}", str(rng.randint(2, 30))) for p in parts if p]
        return "".join(parts), " ".join(dict.fromkeys(chain.from_iterable(map(self._tokens, parts)))), parts

    def rows(self) -> Iterator[tuple[str, tuple]]:
        rng = self.rng
        for month, count in self.plan.months:
            last = min(
                date(month.year + (month.month == 12), month.month % 12 + 1, 1) - timedelta(days=1),
                self.plan.t0.astimezone(CHINA).date(),
            )
            days = [month + timedelta(days=i) for i in range((last - month).days + 1)]
            weights = [1.0 if self.cal.is_workday(d) else 0.3 for d in days]
            for day in sorted(rng.choices(days, weights, k=count)):
                yield from self._feedback(day)

    def _feedback(self, day: date) -> Iterator[tuple[str, tuple]]:
        rng, t0 = self.rng, self.plan.t0
        fid = self._next("feedback")
        submitted = _day_start(day)
        age = (t0 - submitted).total_seconds() / 86400
        status = _status(age, rng)
        kind = rng.choices(("problem", "suggestion", "practice"), (80, 15, 5))[0]
        k = rng.choices((1, 2, 3, 4), (15, 40, 30, 15))[0]
        tags = rng.sample(self._tag_codes, k)
        content, tokens, parts = self._text(kind, tags)
        point = rng.choice(self.ref.points) if rng.random() < 0.7 else None
        region = point[1] if point else f"4901{rng.choice(('02', '03', '04', '05'))}"
        primary = rng.choices(self.ref.departments, self._dept_weights)[0]
        closed_at = None
        if status in ("closed", "rejected", "merged"):
            closed_at = min(submitted + timedelta(days=rng.uniform(3, 40)), t0)
        paused = submitted + timedelta(days=min(age, 1) * rng.random()) if status == "needs_info" else None
        yield (
            "feedback",
            (
                fid,
                kind,
                status,
                content,
                True,
                region,
                rng.choice(UNIT_LEVELS),
                point[0] if point else None,
                hashlib.sha256(b"bench-receipt-%d" % fid).hexdigest(),
                _naive(submitted),
                day,
                _naive(closed_at or submitted),
                self._suggestions[primary[0]],
                max(1, fid - rng.randint(1, 500)) if status == "merged" else None,
                rng.choice(IMPOSERS),
                "direct" if status not in ("submitted", "rejected", "merged", "needs_info") else None,
                _naive(paused),
                "assigned" if paused else None,
                0,
                _naive(closed_at),
                rng.choice(("satisfied", "basically_satisfied", None, None)) if status == "closed" else None,
            ),
        )
        for code in tags:
            yield (
                "feedback_tags",
                (
                    self._next("feedback_tags"),
                    fid,
                    self.ref.tags[code],
                    round(rng.uniform(1, 6), 2),
                    json.dumps([code]),
                    "auto",
                    _naive(submitted),
                ),
            )
        yield "search", (fid, tokens)
        for term in self._terms(parts):
            yield "feedback_terms", (fid, term, day)
        yield "events", self._event(fid, None, "reporter", None, "submitted", None, "submitted", submitted, True)
        if status in ("rejected", "merged"):
            action = "reject" if status == "rejected" else "merge"
            yield (
                "events",
                self._event(
                    fid, None, "staff", "triage", action, "submitted", status, closed_at, True, rng.choice(REASONS)
                ),
            )
            return
        if status == "submitted" or (status == "needs_info" and rng.random() < 0.5):
            if status == "needs_info":
                yield (
                    "events",
                    self._event(fid, None, "staff", "triage", "ask_reporter", "submitted", "needs_info", paused, True),
                )
            return
        assigned_at = submitted + timedelta(hours=rng.uniform(2, 60))
        assigned_at = min(assigned_at, t0 - timedelta(minutes=5))
        yield "events", self._event(fid, None, "staff", "triage", "assign", "submitted", "assigned", assigned_at, True)
        departments = [primary] + [
            rng.choices(self.ref.departments, self._dept_weights)[0]
            for _ in range(rng.choices((0, 1, 2), (80, 16, 4))[0])
        ]
        for n, dept in enumerate(departments):
            yield from self._assignment(fid, dept, "primary" if n == 0 else "cooperating", status, assigned_at)
        if status == "closed":
            yield "events", self._event(fid, None, "staff", "triage", "close", "responded", "closed", closed_at, True)

    def _event(self, fid, aid, actor_type, role, action, before, after, at, visible, reason=None) -> tuple:
        return (self._next("events"), fid, aid, actor_type, role, action, before, after, reason, visible, _naive(at))

    def _assignment(self, fid: int, dept, role: str, fstatus: str, assigned_at: datetime):
        rng, t0, cal = self.rng, self.plan.t0, self.cal
        aid = self._next("assignments")
        due_days = 20 if rng.random() < 0.1 else 15
        ack_due, return_due = cal.add_working_days(assigned_at, 1), cal.add_working_days(assigned_at, 2)
        due = cal.deadline(assigned_at, due_days)
        acknowledged = responded = accepted = waived = overdue = None
        if fstatus == "closed":
            status = "accepted" if role == "primary" or rng.random() < 0.7 else "waived"
        elif fstatus == "responded":
            status = "responded"
        elif fstatus == "needs_info":
            status = "acknowledged"
        else:
            status = "pending" if t0 - assigned_at < timedelta(days=1) or rng.random() < 0.08 else "acknowledged"
        if status != "pending":
            acknowledged = min(assigned_at + timedelta(hours=rng.uniform(1, 30)), t0)
        if status in ("responded", "accepted"):
            late = rng.random() < 0.12
            span = (due.at - assigned_at) * rng.uniform(0.3, 0.98)
            responded = assigned_at + span + (timedelta(days=rng.uniform(1, 12)) if late else timedelta(0))
            responded = min(responded, t0 - timedelta(minutes=1))
            if status == "accepted":
                accepted = min(responded + timedelta(days=rng.uniform(0.5, 5)), t0)
        if status == "waived":
            waived = min(assigned_at + timedelta(days=rng.uniform(1, 5)), t0)
        running = status in ("pending", "acknowledged")
        finished_at = responded or waived
        if running and fstatus != "needs_info" and due.at <= t0:
            overdue = due.at + timedelta(hours=10)
            overdue = min(overdue, t0)
        elif finished_at is not None and finished_at > due.at:
            overdue = due.at + timedelta(hours=10)
        # The watch's marks, as _watch_rows writes its notices and 通报 items.
        watched = running and fstatus != "needs_info"
        late_finish = finished_at is not None and finished_at > due.at - timedelta(days=3)
        due_soon_at = due.at - timedelta(days=2) if (watched and due.at <= self.horizon) or late_finish else None
        unack_at = ack_due if status == "pending" and watched and ack_due <= t0 else None
        tongbao_at = t0 if overdue is not None and watched and due.at <= self.tongbao_cutoff else None
        yield (
            "assignments",
            (
                aid,
                fid,
                dept[0],
                role,
                "direct",
                status,
                rng.choice(INSTRUCTIONS),
                _naive(assigned_at),
                _naive(ack_due),
                _naive(return_due),
                _naive(due.at),
                1,
                2,
                due_days,
                due.provisional,
                _naive(acknowledged),
                _naive(responded),
                _naive(accepted),
                _naive(waived),
                0,
                _naive(overdue),
                fstatus == "needs_info",
                _naive(due_soon_at),
                _naive(unack_at),
                _naive(tongbao_at),
                overdue is not None and watched,  # its 督办 (and 通报) item is open
            ),
        )
        if acknowledged and rng.random() < 0.1:
            yield (
                "events",
                self._event(
                    fid, aid, "staff", "handler", "acknowledge", "pending", "acknowledged", acknowledged, False
                ),
            )
        if responded and role == "primary" and rng.random() < 0.55:
            yield (
                "events",
                self._event(fid, aid, "staff", "handler", "respond", "acknowledged", "responded", responded, True),
            )
        yield from self._watch_rows(aid, dept, status, fstatus, ack_due, due.at, overdue, finished_at)

    def _watch_rows(self, aid, dept, status, fstatus, ack_due, due, overdue, finished_at):
        """What the deadline watch has written for this assignment by t0."""
        t0 = self.plan.t0
        running = status in ("pending", "acknowledged") and fstatus != "needs_info"
        if running:
            self.running.append((due, ack_due, status == "pending", overdue is not None))
        late_finish = finished_at is not None and finished_at > due - timedelta(days=3)
        if (running and due <= self.horizon) or late_finish:
            yield self._notice(aid, dept, "due_soon", due - timedelta(days=2), running)
        if status == "pending" and running and ack_due <= t0:
            yield self._notice(aid, dept, "unacknowledged", ack_due, True)
        if overdue is not None:
            resolved = None if running else finished_at
            yield "supervisions", (self._next("supervisions"), aid, dept[0], "duban", _naive(overdue), _naive(resolved))
            yield self._notice(aid, dept, "overdue", overdue, running)
            yield self._notice(aid, dept, "duban", overdue, running, org=True)
            if running and due <= self.tongbao_cutoff:
                yield "supervisions", (self._next("supervisions"), aid, dept[0], "tongbao", _naive(t0), None)
                yield self._notice(aid, dept, "tongbao", t0, True, org=True)

    def _notice(self, aid, dept, kind, at, recent, org=False):
        subject = {
            "due_soon": "【临期提醒】交办单将到期",
            "unacknowledged": "【签收提醒】交办单尚未签收",
            "overdue": "【超期提醒】交办单已超期",
            "duban": "【督办】交办单超期",
            "tongbao": "【通报】交办单超期未反馈",
        }[kind]
        sent = not recent or self.rng.random() < 0.9
        return "outbox_messages", (
            self._next("outbox_messages"),
            f"assignment:{aid}:{kind}",
            kind,
            "log",
            None if org else dept[0],
            subject,
            f"{dept[2]}：{subject}（交办单编号 {aid}）。",
            json.dumps({"assignment_id": aid}),
            "sent" if sent else "pending",
            1 if sent else 0,
            _naive(at),
            _naive(at),
            _naive(at) if sent else None,
        )

    def choose_catch_up(self) -> None:
        """The working-day moment after t0 whose scan has the number of notices closest to ~5,600."""
        t0, best = self.plan.t0, None
        day = t0.astimezone(CHINA).date()
        for _ in range(8):
            day += timedelta(days=1)
            while not self.cal.is_workday(day):
                day += timedelta(days=1)
            moment = datetime.combine(day, time(10), tzinfo=CHINA).astimezone(UTC)
            horizon, cutoff = self.cal.add_working_days(moment, 2), self._cutoff(moment)
            notices = 0
            for due, ack_due, pending, overdue in self.running:
                notices += self.horizon < due <= horizon
                notices += pending and t0 < ack_due <= moment
                notices += 2 * (not overdue and t0 < due <= moment)
                notices += self.tongbao_cutoff < due <= cutoff
            if best is None or abs(notices - TARGET_NOTICES) < abs(best[1] - TARGET_NOTICES):
                best = (moment, notices)
        self.plan.catch_up, self.plan.expected_notices = best
        self.plan.counts = dict(self.ids)
