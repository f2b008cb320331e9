"""Property-based fuzzing of the whole API from its own OpenAPI document (schemathesis).

Each audience — a cadre (``mp``), the org department (``triage``) and a department's handler
(``handler``) — sends generated requests, valid and deliberately invalid, to every operation of
its API with its own token. Two things must hold for every answer: no 5xx, and every 4xx is the
documented error shape ``{"code", "message", "errors"?, "request_id"}`` and nothing else.

Used two ways: ``tests/test_fuzz.py`` runs a few hundred cases in the normal suite (CI), and
``make fuzz`` runs ``python -m tests.support.fuzz --cases 2000`` on SQLite and PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
import uuid
import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import schemathesis
from flask import has_app_context
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as with_seed
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core import NotSet

from feedback.extensions import db
from tests.support.api import SHAPE

AUDIENCE_PREFIX = {"mp": "/api/mp/v1/", "triage": "/api/staff/v1/", "handler": "/api/staff/v1/"}
FROZEN_AT = datetime(2026, 9, 23, 1, 30, tzinfo=UTC)  # a Wednesday with calendar data on both sides
# Limits high enough that the limiter still runs on every request but rarely answers 429, so
# generated input reaches the code behind it. The track floor only costs time here.
FUZZ_CONFIG = {
    "RATE_LIMIT_SUBMIT": "100000 per minute",
    "RATE_LIMIT_TRACK": "100000 per minute",
    "RATE_LIMIT_LOGIN": "100000 per minute",
    "RATE_LIMIT_UPLOAD": "100000 per minute",
    "RATE_LIMIT_STAFF_LOGIN": "100000 per minute",
    "TRACK_MIN_SECONDS": 0,
}


@dataclass
class Finding:
    audience: str
    operation: str
    status: int
    problem: str
    request: str

    def __str__(self) -> str:
        return f"[{self.audience}] {self.operation} → {self.status}: {self.problem}\n    {self.request}"


@dataclass
class Report:
    cases: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    server_errors: list[Finding] = field(default_factory=list)
    shape_violations: list[Finding] = field(default_factory=list)
    unsendable: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"{aud}: {n} cases" for aud, n in sorted(self.cases.items())]
        counted = sorted(self.statuses.items(), key=lambda item: str(item[0]))
        lines.append("statuses: " + ", ".join(f"{s}×{n}" for s, n in counted))
        lines.append(f"server errors: {len(self.server_errors)}; shape violations: {len(self.shape_violations)}")
        lines += [str(f) for f in (self.server_errors + self.shape_violations)[:20]]
        lines += [f"not sent (client side): {u}" for u in self.unsendable[:3]]
        return "\n".join(lines)


def shape_problem(content_type: str, content: bytes) -> str | None:
    """Why an error answer is not the documented shape, or None when it is."""
    if content_type.split(";")[0].strip() != "application/json":
        return f"content type {content_type!r}"
    try:
        body = json.loads(content)
    except ValueError:
        return "body is not JSON"
    if not isinstance(body, dict):
        return "body is not an object"
    if not set(body) <= SHAPE or not {"code", "message", "request_id"} <= set(body):
        return f"keys {sorted(body)}"
    if not all(isinstance(body[k], str) and body[k] for k in ("code", "message", "request_id")):
        return "code, message and request_id must be non-empty strings"
    if "errors" in body and not isinstance(body["errors"], dict):
        return "errors is not an object"
    return None


def _describe(case) -> str:
    parts = [case.method, case.formatted_path]
    if case.query:
        parts.append(f"query={case.query!r}")
    if case.headers:
        parts.append(f"headers={ {k: v for k, v in case.headers.items() if k != 'Authorization'}!r}")
    if case.body is not None and not isinstance(case.body, bytes | bytearray | NotSet):
        parts.append(f"body={json.dumps(case.body, ensure_ascii=True, default=repr)[:400]}")
    return " ".join(parts)


class Fuzzer:
    """Runs generated cases for one app; ``tokens[audience]()`` gives that audience's headers."""

    def __init__(self, app, tokens: dict[str, Any], known: dict[str, Any], seed: int = 0) -> None:
        self.app = app
        self.tokens = tokens
        self.known = known
        self.seed = seed
        self.schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
        self.report = Report()

    def operations(self, audience: str) -> list:
        prefix = AUDIENCE_PREFIX[audience]
        found = [r.ok() for r in self.schema.get_all_operations()]
        return [op for op in found if op.path.startswith(prefix)]

    def run(self, audience: str, cases: int) -> None:
        operations = self.operations(audience)
        headers = self.tokens[audience]()
        round_no = 0
        while self.report.cases[audience] < cases:
            before = self.report.cases[audience]
            per_operation = max(1, math.ceil((cases - before) / len(operations)))
            for index, operation in enumerate(operations):
                mode = GenerationMode.NEGATIVE if (index + round_no) % 2 else GenerationMode.POSITIVE
                headers = self._cases(audience, operation, mode, per_operation, headers, round_no)
            if self.report.cases[audience] == before:
                raise RuntimeError(f"{audience}: no case could be generated in round {round_no}")
            round_no += 1

    def _known_path(self, operation) -> dict[str, Any] | None:
        """Existing ids for the operation's path, so generated bodies reach more than a 404."""
        names = [p.name for p in operation.path_parameters]
        if names and all(name in self.known for name in names):
            return {name: self.known[name] for name in names}
        return None

    def _cases(self, audience: str, operation, mode, count: int, headers: dict, round_no: int) -> dict:
        state = {"headers": headers}
        # Every other round of valid cases uses paths that exist; the rest are generated freely.
        known = self._known_path(operation) if mode == GenerationMode.POSITIVE and round_no % 2 == 0 else None

        @settings(
            max_examples=count,
            deadline=None,
            database=None,
            derandomize=False,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
            report_multiple_bugs=False,
        )
        @given(case=operation.as_strategy(generation_mode=mode, path_parameters=known))
        def send(case) -> None:
            self._send(audience, operation, case, state)

        try:
            with_seed(zlib.crc32(f"{self.seed}/{audience}/{operation.label}/{round_no}".encode()))(send)()
        except Unsatisfiable:  # e.g. no invalid variant of an operation without parameters
            self.report.statuses["unsatisfiable"] += 1
        return state["headers"]

    def _send(self, audience: str, operation, case, state: dict) -> None:
        generated = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
        case.headers = {**generated, **state["headers"]}
        try:
            reply = case.call()
        except Exception as error:  # the client could not even send it (e.g. a header it cannot encode)
            self.report.statuses[f"unsendable:{type(error).__name__}"] += 1
            self.report.unsendable.append(f"{type(error).__name__}: {error} — {_describe(case)}"[:500])
            return
        finally:
            if has_app_context():  # a test's outer app context outlives requests: end the session as a request would
                db.session.remove()
        status = reply.status_code
        self.report.cases[audience] += 1
        self.report.statuses[status] += 1
        if status >= 500:
            self.report.server_errors.append(
                Finding(audience, operation.label, status, "server error", _describe(case))
            )
        if status >= 400:
            content_type = (reply.headers.get("content-type") or [""])[0]
            problem = shape_problem(content_type, reply.content)
            if problem:
                self.report.shape_violations.append(
                    Finding(audience, operation.label, status, problem, _describe(case))
                )
        if operation.path.endswith("/auth/logout") and status == 204:
            state["headers"] = self.tokens[audience]()  # that token is gone: log in again


# ------------------------------------------------------------------------------ a database to fuzz


def _bearer(reply) -> dict[str, str]:
    if reply.status_code != 200:
        raise RuntimeError(f"login for the fuzzer failed: {reply.status_code} {reply.get_data(as_text=True)[:200]}")
    return {"Authorization": f"Bearer {reply.get_json()['token']}"}


def prepare(app, wechat) -> tuple[dict[str, Any], dict[str, Any]]:
    """Reference data, feedback routed to the handler's department and to a consultation; returns the
    audiences' login functions and existing path values."""
    from feedback.models import Feedback
    from feedback.services.admin.seed import seed_reference_data
    from feedback.services.admin.staff_auth import create_user, find_user
    from feedback.services.handling.actors import Actor
    from feedback.services.triage.assigning import route_direct
    from feedback.services.triage.consultations import convene

    app.extensions["clock"].freeze(FROZEN_AT)
    client = app.test_client()
    seed_reference_data(app.config["REFERENCE_DIR"])
    password = "Fuzz-Staff-2026"
    for username, role, department in (("fuzz-triage", "triage", None), ("fuzz-handler", "handler", "city-wb")):
        if find_user(username) is None:
            create_user(username, password, role, department_code=department)
    db.session.commit()

    def mp() -> dict[str, str]:
        code = wechat.issue_code(f"o-fuzz-{uuid.uuid4().hex}")
        return _bearer(client.post("/api/mp/v1/session", json={"code": code}))

    def staff(username: str):
        def login() -> dict[str, str]:
            return _bearer(client.post("/api/staff/v1/auth/login", json={"username": username, "password": password}))

        return login

    cadre = mp()
    for text in (
        "县里的秸秆焚烧会议要求每个街道书记都去陪会，我们街道根本没有庄稼地。",
        "省统计局的报表系统每月要求乡镇重复填报同一批数据，干部天天加班填表。",
        "各种政务 APP 要求每天打卡签到、在线学习，指尖上的形式主义越来越重。",
    ):
        client.post("/api/mp/v1/feedback", json={"kind": "problem", "content": text}, headers=cadre)
    actor = Actor("staff", "triage")
    items = db.session.query(Feedback).order_by(Feedback.id).all()
    assignments = [a for f in items[:2] for a in route_direct(actor, f, "city-wb", ["city-fb"], "请核实并整改")]
    consultation = convene(
        actor,
        title="报表重复填报会商",
        feedback_ids=[items[2].id],
        department_codes=["city-wb", "city-tj"],
        scheduled_on=None,
    )
    db.session.commit()
    known = {
        "feedback_id": items[0].id,
        "assignment_id": assignments[0].id,
        "consultation_id": consultation.id,
        "month": "2026-08",
        "day": "2026-09-22",
        "code": "GC01",
    }
    return {"mp": mp, "triage": staff("fuzz-triage"), "handler": staff("fuzz-handler")}, known


def fuzz_app(app, wechat, cases: int, seed: int = 0, audiences=("mp", "triage", "handler")) -> Report:
    with app.app_context():
        tokens, known = prepare(app, wechat)
    fuzzer = Fuzzer(app, tokens, known, seed=seed)
    for audience in audiences:
        fuzzer.run(audience, cases)
    return fuzzer.report


def _migrated_app(database_url: str, workdir: Path, wechat):
    import flask_migrate
    from sqlalchemy import text

    from feedback import create_app

    config = {
        "FEEDBACK_ENV": "testing",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "UPLOAD_DIR": str(workdir / "uploads"),
        "WECHAT_API_BASE": wechat.base_url,
        "WECHAT_APPID": "wx-test-appid",
        "WECHAT_SECRET": "wx-test-secret",
        **FUZZ_CONFIG,
    }
    app = create_app(config)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        flask_migrate.upgrade()
    return app


def main(argv: list[str] | None = None) -> int:
    from tests.support.fake_wechat import FakeWeChat

    parser = argparse.ArgumentParser(description="Fuzz the API from its OpenAPI document (schemathesis).")
    parser.add_argument("--cases", type=int, default=2000, help="cases per audience (mp, triage, handler)")
    parser.add_argument(
        "--database-url",
        default="",
        help="PostgreSQL URL (its public schema is dropped); default: a SQLite file in a temporary directory",
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    wechat = FakeWeChat("wx-test-appid", "wx-test-secret").start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            url = args.database_url or f"sqlite:///{Path(tmp) / 'fuzz.db'}"
            app = _migrated_app(url, Path(tmp), wechat)
            started = time.monotonic()
            report = fuzz_app(app, wechat, args.cases, seed=args.seed)
            print(f"database: {url.split('@')[-1]}; {time.monotonic() - started:.0f} s")
            print(report.summary())
    finally:
        wechat.stop()
    return 1 if report.server_errors or report.shape_violations else 0


if __name__ == "__main__":
    sys.exit(main())
