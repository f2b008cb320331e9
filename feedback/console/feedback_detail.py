"""反映详情: one feedback as the org department works on it, or as an assigned department sees it.

Who sees what is decided by ``inbox.visible_feedback`` / ``inbox.detail`` (the API's own rule):
a handler gets ``department_view`` and their department's assignments, nothing else. Every action
is one POST through the service the API uses; a refused action shows the page again with the
reason in Chinese and everything typed still in its form.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from flask import flash, g, redirect, render_template, request, send_file, url_for
from werkzeug.datastructures import MultiDict

from feedback.console import bp
from feedback.console.feedback_text import marked_text, rule_evidence, timeline_entry
from feedback.console.pages import error_text
from feedback.errors import AppError, Forbidden, NotFound, ValidationFailed
from feedback.extensions import db
from feedback.labels import IMPOSER_LEVELS, UNIT_LEVELS
from feedback.services.admin import search
from feedback.services.admin.staff_auth import ROLE_LABELS
from feedback.services.handling.actors import Actor
from feedback.services.handling.deadlines import day_of
from feedback.services.intake.uploads import upload_root
from feedback.services.triage import assigning, consultations, decisions, inbox, suggestions
from feedback.workflow import FEEDBACK_TRANSITIONS, ORG_ROLES, READER_ROLES

LEVEL_GROUPS = {"province": "省直部门", "city": "市直部门", "district": "县（市、区）部门", "township": "乡镇（街道）"}
PATH_LABELS = {"direct": "直接交办", "escalate": "转市直部门向上反映", "consult": "集中会商"}
ROLE_IN_ASSIGNMENT = {"primary": "主办", "cooperating": "协办"}
STATE_WORDS = {"on_time": "正常", "due_soon": "临期", "overdue": "超期"}
COOPERATING_FIELDS = 3  # how many 协办 / 会商 department fields the forms offer


def _actor() -> Actor:
    return Actor.staff(g.staff)


def _departments() -> list[dict[str, str]]:
    return [
        {"code": d.code, "name": d.name, "group": LEVEL_GROUPS.get(d.level, d.level), "level": d.level}
        for d in assigning.active_departments()
    ]


def department_code(value: str, departments: list[dict[str, str]], field: str = "primary") -> str:
    """What a picker sent (a department's name, or its code) as the code the services take."""
    value = value.strip()
    if any(dept["code"] == value for dept in departments):
        return value
    named = [dept["code"] for dept in departments if dept["name"] == value]
    if len(named) > 1:
        raise ValidationFailed(errors={field: [f"有多个部门名为“{value}”，请改填部门代码：{'、'.join(named)}"]})
    return named[0] if named else value  # unknown: the service answers 未找到部门“…”


def _codes(name: str, departments: list[dict[str, str]]) -> list[str]:
    return [department_code(v, departments, name) for v in request.form.getlist(name) if v.strip()]


def _assignment_line(line: dict[str, Any]) -> dict[str, Any]:
    return line | {
        "role_label": ROLE_IN_ASSIGNMENT.get(line["role"], line["role"]),
        "path_label": PATH_LABELS.get(line["path"], line["path"]),
        "due_on": day_of(line["due_at"]) if line.get("due_at") else None,
        "state_label": STATE_WORDS.get(line.get("due_state") or ""),
    }


def _allowed_actions(status: str, role: str) -> set[str]:
    if role not in ORG_ROLES:
        return set()
    return {action for action, t in FEEDBACK_TRANSITIONS.items() if status in t.sources and role in t.roles}


def _render(feedback_id: int, failed: str | None = None, error: AppError | None = None, status: int = 200):
    actor = _actor()
    feedback = inbox.visible_feedback(actor, feedback_id)
    body = inbox.detail(actor, feedback)
    assignments = [_assignment_line(line) for line in body["assignments"]]
    if g.staff.role not in READER_ROLES:
        return render_template(
            "console/feedback_detail.html", fb=body, department_only=True, assignments=assignments
        ), status
    departments = _departments()
    names = {d["code"]: d["name"] for d in departments}
    suggestion = body["routing_suggestion"]
    actions = _allowed_actions(feedback.status, g.staff.role)
    can_act = g.staff.role in ORG_ROLES
    all_tags = decisions.active_tags()
    fired = []
    if suggestion:
        matters = suggestions.rule_matters(list(suggestion.get("rules") or []))
        tag_names = {t.code: t.name for t in all_tags}
        fired = [
            {
                "code": code,
                "matter": matters.get(code, code),
                "evidence": rule_evidence((suggestion.get("matched") or {}).get(code, []), tag_names),
            }
            for code in suggestion.get("rules") or []
        ]
    context = {
        "fb": body,
        "department_only": False,
        "assignments": assignments,
        "pieces": marked_text(body["content"], body["tags"]),
        "suggestion": suggestion,
        "fired": fired,
        "path_labels": PATH_LABELS,
        "unit_level": UNIT_LEVELS.get(body["unit_level"] or "", ""),
        "imposer_level": IMPOSER_LEVELS.get(body["imposer_level"] or "", ""),
        "duplicates": [inbox.summary(other) for other in search.similar(feedback)],
        "timeline": [timeline_entry(e, names) for e in inbox.history(feedback)],
        "paused_on": feedback.paused_at,
        "actions": actions,
        "can_act": can_act,
        "all_tags": all_tags,
        "departments": departments,
        "city_departments": [d for d in departments if d["level"] == "city"],
        "cooperating_fields": COOPERATING_FIELDS,
        "failed": failed,
        "failure": error_text(error) if error else None,
        "field_errors": error.errors if isinstance(error, ValidationFailed) and error.errors else {},
        "typed": request.form if failed else MultiDict(),
        "role_label": ROLE_LABELS[g.staff.role],
    }
    return render_template("console/feedback_detail.html", **context), status


@bp.route("/feedback/<int:feedback_id>")
def feedback_detail(feedback_id: int):
    return _render(feedback_id)


@bp.route("/feedback/<int:feedback_id>/attachments/<upload_id>")
def feedback_attachment(feedback_id: int, upload_id: str):
    """An attachment, streamed to whoever may see the feedback; never cached, never a public URL."""
    upload = inbox.attachment(_actor(), feedback_id, upload_id)
    path = upload_root() / upload.storage_name
    if not path.is_file():
        raise NotFound("附件文件已按保存期限清除", code="attachment_not_found")
    extension = Path(upload.storage_name).suffix
    return send_file(
        io.BytesIO(path.read_bytes()),  # read whole (a few MB at most): no file handle outlives the request
        mimetype=upload.content_type,
        as_attachment=False,
        download_name=f"feedback-{feedback_id}-{upload.id[:8]}{extension}",
        conditional=False,
        etag=False,
        max_age=0,
    )


def _decide(
    feedback_id: int,
    form: str,
    change: Callable[[Actor, Any], Any],
    done: str,
    back: Callable[[Any], str] | None = None,
):
    """One triage decision in one transaction; refused: the page again with the reason and the typing."""
    if g.staff.role not in ORG_ROLES:
        raise Forbidden("只有组织部研判人员可以办理反映；您可以查看，但不能操作")
    actor = _actor()
    feedback = decisions.get_feedback(feedback_id)
    try:
        result = change(actor, feedback)
    except AppError as error:
        db.session.rollback()
        return _render(feedback_id, form, error, error.status)
    db.session.commit()
    flash(done, "success")
    target = back(result) if back else url_for("console.feedback_detail", feedback_id=feedback_id)
    return redirect(target)


def _text(name: str) -> str | None:
    return (request.form.get(name) or "").strip() or None


def _required(name: str, label: str) -> str:
    value = _text(name)
    if value is None:
        raise ValidationFailed(errors={name: [f"请填写{label}"]})
    return value


@bp.route("/feedback/<int:feedback_id>/tags", methods=["POST"])
def feedback_retag(feedback_id: int):
    return _decide(
        feedback_id,
        "retag",
        lambda a, f: decisions.retag(a, f, request.form.getlist("tags"), _text("note")),
        "标签已修改",
    )


@bp.route("/feedback/<int:feedback_id>/ask", methods=["POST"])
def feedback_ask(feedback_id: int):
    return _decide(
        feedback_id,
        "ask",
        lambda a, f: decisions.ask_reporter(a, f, _required("question", "要问反映人的问题")),
        "问题已发给反映人，等待答复期间办理期限暂停计算",
    )


@bp.route("/feedback/<int:feedback_id>/reject", methods=["POST"])
def feedback_reject(feedback_id: int):
    return _decide(
        feedback_id,
        "reject",
        lambda a, f: decisions.reject(a, f, _required("reason", "不予受理的理由")),
        "已不予受理，理由会显示给反映人",
    )


def _target_id() -> int:
    raw = (request.form.get("target_id") or "").strip().lstrip("#")
    if not raw.isdigit():
        raise ValidationFailed(errors={"target_id": ["请填写要合并到的反映编号（数字）"]})
    return int(raw)


@bp.route("/feedback/<int:feedback_id>/merge", methods=["POST"])
def feedback_merge(feedback_id: int):
    return _decide(
        feedback_id,
        "merge",
        lambda a, f: decisions.merge(a, f, _target_id(), _text("note")),
        "已合并，办理进度以合并后的反映为准",
    )


@bp.route("/feedback/<int:feedback_id>/route", methods=["POST"])
def feedback_route(feedback_id: int):
    departments = _departments()

    def route(actor: Actor, feedback: Any) -> Any:
        instructions = _text("instructions")
        if request.form.get("path") == "escalate":
            municipal = department_code(_required("municipal", "市直对口部门"), departments, "municipal")
            return assigning.route_escalate(actor, feedback, municipal, instructions)
        primary = department_code(_required("primary", "主办部门"), departments)
        return assigning.route_direct(actor, feedback, primary, _codes("cooperating", departments), instructions)

    return _decide(feedback_id, "route", route, "已交办，相关部门会收到通知")


@bp.route("/feedback/<int:feedback_id>/close", methods=["POST"])
def feedback_close(feedback_id: int):
    return _decide(
        feedback_id,
        "close",
        lambda a, f: decisions.close(a, f, _text("note"), _text("waive_reason")),
        "已办结",
    )


@bp.route("/feedback/<int:feedback_id>/consult", methods=["POST"])
def feedback_convene(feedback_id: int):
    departments = _departments()

    def convene(actor: Actor, feedback: Any) -> Any:
        return consultations.convene(
            actor,
            title=_required("title", "会商名称"),
            feedback_ids=[feedback.id],
            department_codes=_codes("departments", departments),
            scheduled_on=_scheduled_on(),
        )

    return _decide(
        feedback_id,
        "consult",
        convene,
        "已召集集中会商",
        back=lambda consultation: url_for("console.consultation_detail", consultation_id=consultation.id),
    )


def _scheduled_on() -> date | None:
    raw = (request.form.get("scheduled_on") or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed(errors={"scheduled_on": ["日期格式应为 年-月-日，例如 2026-12-08"]}) from None
