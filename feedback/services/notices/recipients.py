"""Who receives a notice: the recipient rules of config/notifications.yaml, read on demand, never at import.

A notice goes to the org department (督办/通报, the kinds listed in ``org_kinds`` and ``ORG_NOTICE_KINDS``), to the
operators (holiday-data kinds), to its department's or observation point's own recipient, or to the
default. Each recipient is a channel and, for e-mail and webhooks, a target; robot keys stay in the
file or the environment, never in the outbox.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, and_, false, or_, select

from feedback import yaml_files
from feedback.extensions import db
from feedback.models import Department, ObservationPoint, OutboxMessage
from feedback.workflow import READER_ROLES

ORG_KINDS_DEFAULT = ("duban", "tongbao")
# Notices that are for the org department by their nature, whatever ``org_kinds`` lists: a department
# returned an assignment, a reporter answered a question, a reporter was not satisfied.
ORG_NOTICE_KINDS = frozenset({"returned", "reporter_answered", "rated_unsatisfied"})
# Notices for whoever runs the system (holiday data about to run out, a rejected holidays file).
ADMIN_KINDS = frozenset({"calendar_coverage", "calendar_file_invalid"})


@dataclass(frozen=True)
class Recipient:
    channel: str
    target: str | None = None


@dataclass(frozen=True)
class RecipientRules:
    default: Recipient
    org: Recipient
    org_kinds: frozenset[str]
    departments: dict[str, Recipient]
    points: dict[str, Recipient]
    webhooks: dict[str, dict[str, str]]  # name -> {"url": ...} or {"url_env": ...}
    admin: Recipient | None = None  # the operators; the org route when not set

    def webhook_url(self, name: str) -> str | None:
        """The robot URL for a webhook name; keys stay in config or the environment, never in the outbox."""
        spec = self.webhooks.get(name)
        if spec is None:
            return None
        return spec.get("url") or os.environ.get(spec.get("url_env", "")) or None


_lock = threading.Lock()
_cache: dict[str, tuple[float, RecipientRules]] = {}


def _recipient(value: Any, where: str, webhooks: dict) -> Recipient:
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
    return Recipient(channel, target)


def parse_recipient_rules(data: Any, source: str) -> RecipientRules:
    """Validate the recipient rules; mistakes stop the job loudly instead of sending to nobody."""
    data = data or {}
    allowed = {"sample", "default", "org", "org_kinds", "admin", "departments", "points", "webhooks"}
    if not isinstance(data, dict) or set(data) - allowed:
        raise ValueError(f"{source}：顶层只能包含 {', '.join(sorted(allowed))}")
    webhooks = data.get("webhooks") or {}
    for name, spec in webhooks.items():
        if not isinstance(spec, dict) or len(set(spec) & {"url", "url_env"}) != 1 or set(spec) - {"url", "url_env"}:
            raise ValueError(f"{source}：webhooks.{name} 应为 {{url: ...}} 或 {{url_env: 环境变量名}}")
    default = _recipient(data.get("default") or {"channel": "log"}, f"{source} default", webhooks)
    org = _recipient(data["org"], f"{source} org", webhooks) if data.get("org") else default
    maps = {}
    for key in ("departments", "points"):
        items = data.get(key) or {}
        if not isinstance(items, dict):
            raise ValueError(f"{source}：{key} 应为“代码: {{channel, target}}”的映射")
        maps[key] = {str(code): _recipient(v, f"{source} {key}.{code}", webhooks) for code, v in items.items()}
    org_kinds = frozenset(data.get("org_kinds") or ORG_KINDS_DEFAULT)
    admin = _recipient(data["admin"], f"{source} admin", webhooks) if data.get("admin") else org
    return RecipientRules(default, org, org_kinds, maps["departments"], maps["points"], webhooks, admin)


def recipient_rules() -> RecipientRules:
    """The recipient rules in the file named by NOTIFICATIONS_PATH, reloaded when the operator edits it."""
    path = current_app.config["NOTIFICATIONS_PATH"]
    mtime = os.stat(path).st_mtime if os.path.exists(path) else -1.0
    with _lock:
        cached = _cache.get(path)
        if cached is None or cached[0] != mtime:
            data = yaml_files.safe_load(Path(path).read_text(encoding="utf-8")) if mtime >= 0 else {}
            _cache[path] = (mtime, parse_recipient_rules(data, path))
        return _cache[path][1]


def recipient_for(kind: str, department_id: int | None, point_id: int | None) -> Recipient:
    config = recipient_rules()
    if kind in ADMIN_KINDS:
        return config.admin or config.org
    if kind in config.org_kinds or kind in ORG_NOTICE_KINDS:
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


def org_kinds() -> frozenset[str]:
    """Every kind that goes to the org department (the configured ``org_kinds`` and ``ORG_NOTICE_KINDS``)."""
    return recipient_rules().org_kinds | ORG_NOTICE_KINDS


def addressed_to(role: str, department_id: int | None, point_id: int | None) -> ColumnElement[bool]:
    """The notices addressed to a staff user's unit, by the rules ``recipient_for`` routes them by.

    The org department (triage, admin and the leaders who read everything) gets the org kinds and
    notices for an org department; admins also the holiday-data kinds; a handler gets its
    department's notices and a liaison its point's, never an org or admin kind.
    """
    org = org_kinds()
    own = OutboxMessage.kind.not_in(org | ADMIN_KINDS)
    parts: list[ColumnElement[bool]] = []
    if role in READER_ROLES:
        org_departments = select(Department.id).where(Department.is_org_department.is_(True))
        parts += [OutboxMessage.kind.in_(org), and_(OutboxMessage.department_id.in_(org_departments), own)]
    if role == "admin":
        parts.append(OutboxMessage.kind.in_(ADMIN_KINDS))
    if department_id is not None:
        parts.append(and_(OutboxMessage.department_id == department_id, own))
    if point_id is not None:
        parts.append(and_(OutboxMessage.point_id == point_id, OutboxMessage.department_id.is_(None), own))
    return or_(*parts) if parts else false()
