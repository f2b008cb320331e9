"""How a feedback reads on its detail page: the text with the tag evidence marked, and the timeline.

Pure presentation over what the services return (``inbox.detail``, ``inbox.history``); the
template escapes every piece of user text, so nothing here produces HTML.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from feedback.labels import REPORTER_ACTION_LABELS
from feedback.services.admin.staff_auth import ROLE_LABELS
from feedback.services.handling.deadlines import day_of
from feedback.timeutil import CHINA, local_date
from feedback.workflow import ASSIGNMENT_TRANSITIONS, FEEDBACK_STATUS_LABELS, FEEDBACK_TRANSITIONS

# Timeline labels of events that are no transition of the workflow tables.
OTHER_ACTIONS = {
    "submitted": "收到反映",
    "correct_consultation": "更正会商记录",
    "deadline_corrected": "办理期限校正",
    "supervise": "督办",
    "notify": "通报",
}


@dataclass(frozen=True)
class Piece:
    """A run of the text; ``tags`` names the tags whose evidence it is (empty: plain text)."""

    text: str
    tags: tuple[str, ...] = ()


def marked_text(content: str, tags: list[dict[str, Any]]) -> list[Piece]:
    """Split ``content`` into runs, each marked with the tags whose matched terms cover it."""
    cover: list[list[str]] = [[] for _ in content]
    for tag in tags:
        for term in dict.fromkeys([*(tag.get("matched") or []), *(tag.get("learned") or [])]):
            if not term:
                continue
            start = content.find(term)
            while start >= 0:
                for k in range(start, start + len(term)):
                    if tag["name"] not in cover[k]:
                        cover[k].append(tag["name"])
                start = content.find(term, start + len(term))
    pieces: list[Piece] = []
    for ch, names in zip(content, cover, strict=True):
        key = tuple(names)
        if pieces and pieces[-1].tags == key:
            pieces[-1] = Piece(pieces[-1].text + ch, key)
        else:
            pieces.append(Piece(ch, key))
    return pieces


def action_label(action: str) -> str:
    for table in (FEEDBACK_TRANSITIONS, ASSIGNMENT_TRANSITIONS):
        if action in table:
            return table[action].label
    return OTHER_ACTIONS.get(action) or REPORTER_ACTION_LABELS.get(action) or action


def _day(iso: str | None) -> date | None:
    if not iso:
        return None
    moment = datetime.fromisoformat(iso)
    return day_of(moment) if isinstance(moment, datetime) and moment.tzinfo else date.fromisoformat(iso[:10])


def _names(codes: list[str], departments: dict[str, str]) -> str:
    return "、".join(departments.get(code, code) for code in codes)


def _pause_text(pause: dict[str, Any]) -> str:
    waited = pause.get("waited_working_days", 0)
    moved = pause.get("moved") or []
    if not moved:
        return f"等待答复 {waited} 个工作日（当时没有进行中的交办单，无需顺延期限）"
    days = sorted({m["due_on"] for m in moved})
    provisional = "（暂定）" if any(m.get("due_provisional") for m in moved) else ""
    return f"等待答复 {waited} 个工作日，期限顺延至 {'、'.join(days)}{provisional}"


def timeline_entry(event: Any, departments: dict[str, str]) -> dict[str, Any]:
    """One line of the staff timeline: when, who, what, and the details the event carries."""
    data = event.data or {}
    reporter = event.actor_type == "reporter"
    when = (
        local_date(event.created_at).isoformat()
        if reporter
        else event.created_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
    )
    who = "反映人" if reporter else ("系统" if event.actor_type == "system" else ROLE_LABELS.get(event.actor_role, ""))
    details: list[str] = []
    due = None
    if event.action in ("assign", "escalate", "assign_from_consultation") and data.get("primary"):
        details.append(f"主办：{_names([data['primary']], departments)}")
        if data.get("cooperating"):
            details.append(f"协办：{_names(data['cooperating'], departments)}")
        due = {"on": _day(data.get("due_at")), "provisional": bool(data.get("due_provisional"))}
    elif event.action == "ask_reporter":
        details.append("等待反映人答复，期间办理期限暂停计算")
    elif event.action == "reporter_answer" and data.get("pause"):
        details.append(_pause_text(data["pause"]))
    elif event.action == "retag" and "after" in data:
        details.append(f"标签：{'、'.join(data.get('before') or []) or '无'} → {'、'.join(data['after']) or '无'}")
    elif event.action == "merge" and data.get("target_id"):
        details.append(f"合并到 #{data['target_id']}")
    elif event.action == "convene" and data.get("consultation_id"):
        details.append(f"会商 #{data['consultation_id']}")
    if event.reason:
        details.append(f"理由：{event.reason}")
    status = FEEDBACK_STATUS_LABELS.get(event.to_status or "", "") if event.assignment_id is None else ""
    return {
        "when": when,
        "who": who,
        "label": action_label(event.action),
        "status": status if event.from_status != event.to_status else "",
        "details": details,
        "due": due,
        "assignment_id": event.assignment_id,
        "merge_target": data.get("target_id") if event.action == "merge" else None,
        "consultation_id": data.get("consultation_id") if event.action == "convene" else None,
    }


def rule_evidence(hits: list[str], tag_names: dict[str, str]) -> str:
    """A rule's hits ("tag:peihui", "term:陪会") in words: 标签“陪会”、词语“陪会”."""
    words = []
    for hit in hits:
        kind, _, value = hit.partition(":")
        if kind == "tag":
            words.append(f"标签“{tag_names.get(value, value)}”")
        elif kind == "term":
            words.append(f"词语“{value}”")
        else:
            words.append(hit)
    return "、".join(words)
