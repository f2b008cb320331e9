"""The notification outbox: queue a notice in the caller's transaction, routed by config/notifications.yaml.

A notice is written to ``outbox_messages`` together with the change it reports and delivered later
by the outbox-sender job, so a rolled-back change never notifies anyone and a notice is never lost
to a crash between "changed" and "told". ``dedupe_key`` is unique: the first transaction to queue a
key wins, every later (or concurrent) one gets ``None`` — that is what makes "each notice exactly
once" hold however often, and in how many processes, the job that queues it runs.

Routing (which channel, which recipient) is operator data read on demand, never at import.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from flask import current_app
from sqlalchemy import insert, select

from feedback.clock import now
from feedback.extensions import db
from feedback.models import Department, ObservationPoint, OutboxMessage

SUBJECT_MAX = 200
ORG_KINDS_DEFAULT = ("duban", "tongbao")
# Notices for whoever runs the system (holiday data about to run out, a rejected holidays file).
ADMIN_KINDS = frozenset({"calendar_coverage", "calendar_file_invalid"})


@dataclass(frozen=True)
class Route:
    channel: str
    target: str | None = None


@dataclass(frozen=True)
class Routing:
    default: Route
    org: Route
    org_kinds: frozenset[str]
    departments: dict[str, Route]
    points: dict[str, Route]
    webhooks: dict[str, dict[str, str]]  # name -> {"url": ...} or {"url_env": ...}
    admin: Route | None = None  # the operators; the org route when not set

    def webhook_url(self, name: str) -> str | None:
        """The robot URL for a webhook name; keys stay in config or the environment, never in the outbox."""
        spec = self.webhooks.get(name)
        if spec is None:
            return None
        return spec.get("url") or os.environ.get(spec.get("url_env", "")) or None


_lock = threading.Lock()
_cache: dict[str, tuple[float, Routing]] = {}


def _route(value: Any, where: str, webhooks: dict) -> Route:
    from feedback.services.notices.channels import CHANNELS

    if not isinstance(value, dict) or set(value) - {"channel", "target"}:
        raise ValueError(f"{where} 应为 {{channel: ..., target: ...}}")
    channel = value.get("channel")
    if channel not in CHANNELS:
        raise ValueError(f"{where}：未知的发送渠道 {channel!r}，可选 {', '.join(sorted(CHANNELS))}")
    target = value.get("target")
    if channel == "email" and (not isinstance(target, str) or "@" not in target):
        raise ValueError(f"{where}：email 渠道的 target 应为电子邮件地址")
    if channel == "webhook" and target not in webhooks:
        raise ValueError(f"{where}：webhook 渠道的 target 应为 webhooks 中定义的名称，未找到 {target!r}")
    return Route(channel, target)


def parse_routing(data: Any, source: str) -> Routing:
    """Validate the routing file; mistakes stop the job loudly instead of sending to nobody."""
    data = data or {}
    allowed = {"sample", "default", "org", "org_kinds", "admin", "departments", "points", "webhooks"}
    if not isinstance(data, dict) or set(data) - allowed:
        raise ValueError(f"{source}：顶层只能包含 {', '.join(sorted(allowed))}")
    webhooks = data.get("webhooks") or {}
    for name, spec in webhooks.items():
        if not isinstance(spec, dict) or len(set(spec) & {"url", "url_env"}) != 1 or set(spec) - {"url", "url_env"}:
            raise ValueError(f"{source}：webhooks.{name} 应为 {{url: ...}} 或 {{url_env: 环境变量名}}")
    default = _route(data.get("default") or {"channel": "log"}, f"{source} default", webhooks)
    org = _route(data["org"], f"{source} org", webhooks) if data.get("org") else default
    maps = {}
    for key in ("departments", "points"):
        items = data.get(key) or {}
        if not isinstance(items, dict):
            raise ValueError(f"{source}：{key} 应为“代码: {{channel, target}}”的映射")
        maps[key] = {str(code): _route(v, f"{source} {key}.{code}", webhooks) for code, v in items.items()}
    org_kinds = frozenset(data.get("org_kinds") or ORG_KINDS_DEFAULT)
    admin = _route(data["admin"], f"{source} admin", webhooks) if data.get("admin") else org
    return Routing(default, org, org_kinds, maps["departments"], maps["points"], webhooks, admin)


def routing() -> Routing:
    """The routing file named by NOTIFICATIONS_PATH, reloaded when the operator edits it."""
    path = current_app.config["NOTIFICATIONS_PATH"]
    mtime = os.stat(path).st_mtime if os.path.exists(path) else -1.0
    with _lock:
        cached = _cache.get(path)
        if cached is None or cached[0] != mtime:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) if mtime >= 0 else {}
            _cache[path] = (mtime, parse_routing(data, path))
        return _cache[path][1]


def choose_route(kind: str, department_id: int | None, point_id: int | None) -> Route:
    config = routing()
    if kind in ADMIN_KINDS:
        return config.admin or config.org
    if kind in config.org_kinds:
        return config.org
    if department_id is not None:
        dept = db.session.get(Department, department_id)
        if dept is not None and dept.code in config.departments:
            return config.departments[dept.code]
        if dept is not None and dept.is_org_department:
            return config.org
    if point_id is not None:
        point = db.session.get(ObservationPoint, point_id)
        if point is not None and point.code in config.points:
            return config.points[point.code]
    return config.default


def insert_if_absent(model: type, values: dict[str, Any], unique: list[str]) -> int | None:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id: the new row's id, or None if the key was taken.

    Unlike a pre-check or a savepoint, this is atomic on SQLite and PostgreSQL alike: of two
    concurrent transactions inserting the same key, PostgreSQL makes the second wait for the
    first and then do nothing; SQLite serialises the writers.
    """
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    else:  # pragma: no cover - the project supports these two
        dialect_insert = insert
    stmt = dialect_insert(model).values(**values).on_conflict_do_nothing(index_elements=unique)
    return db.session.execute(stmt.returning(model.id)).scalar_one_or_none()


def enqueue(*, kind: str, dedupe_key: str, subject: str, body: str, department_id: int | None = None,
            point_id: int | None = None, payload: dict | None = None) -> OutboxMessage | None:
    """Queue a notice in the current transaction (flushed, not committed); None if the key was queued before."""
    if not dedupe_key or len(dedupe_key) > 128:
        raise ValueError("dedupe_key must be 1..128 characters")
    if db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)) is not None:
        return None
    route = choose_route(kind, department_id, point_id)
    moment = now()
    new_id = insert_if_absent(OutboxMessage, {
        "dedupe_key": dedupe_key, "kind": kind, "channel": route.channel, "recipient": route.target,
        "department_id": department_id, "point_id": point_id, "subject": subject[:SUBJECT_MAX], "body": body,
        "payload": payload, "status": "pending", "attempts": 0, "next_attempt_at": moment, "created_at": moment,
    }, ["dedupe_key"])
    return db.session.get(OutboxMessage, new_id) if new_id is not None else None
