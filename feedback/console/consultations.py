"""会商: the list of consultations, one consultation with its items, participants and outcome,
and the form that records the outcome (which assigns every item still in consultation)."""

from __future__ import annotations

import re
from datetime import date

from flask import flash, g, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from feedback.clock import now
from feedback.console import bp, pages
from feedback.console.feedback_detail import COOPERATING_FIELDS, _departments, department_code
from feedback.errors import AppError, Forbidden, ValidationFailed
from feedback.extensions import db
from feedback.services.handling.actors import Actor
from feedback.services.triage import consultations as meetings
from feedback.services.triage import inbox
from feedback.timeutil import local_date
from feedback.workflow import ORG_ROLES, READER_ROLES

STATUS_LABELS = {"convened": "待召开", "held": "已召开"}


def _readers_only() -> None:
    if g.staff.role not in READER_ROLES:
        raise Forbidden("只有组织部和领导可以查看集中会商")


@bp.route("/consultations")
def consultations():
    _readers_only()
    paging = pages.paging()
    rows, total = meetings.list_consultations(paging.page, paging.per_page)
    items = [
        {
            "id": c.id,
            "title": c.title,
            "status_label": STATUS_LABELS.get(c.status, c.status),
            "scheduled_on": c.scheduled_on,
            "held_on": c.held_on,
            "departments": "、".join(d.name for d in c.departments),
            "count": len(meetings.items_of(c)),
        }
        for c in rows
    ]
    return render_template("console/consultations.html", items=items, total=total, paging=paging)


def _render(consultation_id: int, error: AppError | None = None, status: int = 200):
    consultation = meetings.get_consultation(consultation_id)
    items = [
        inbox.summary(f) | {"suggested": ((f.routing_suggestion or {}).get("primary") or {}).get("name", "")}
        for f in meetings.items_of(consultation)
    ]
    departments = _departments()
    failed = error is not None
    return render_template(
        "console/consultation_detail.html",
        c=consultation,
        status_label=STATUS_LABELS.get(consultation.status, consultation.status),
        items=items,
        pending=[i for i in items if i["status"] == "in_consultation"],
        can_record=g.staff.role in ORG_ROLES and consultation.status == "convened",
        can_correct=g.staff.role in ORG_ROLES and consultation.status == "held",
        departments=departments,
        participants=[d.name for d in consultation.departments],
        cooperating_fields=COOPERATING_FIELDS,
        failure=pages.error_text(error) if error else None,
        field_errors=error.errors if isinstance(error, ValidationFailed) and error.errors else {},
        typed=request.form if failed else MultiDict(),
        today=local_date(now()).isoformat(),
    ), status


@bp.route("/consultations/<int:consultation_id>")
def consultation_detail(consultation_id: int):
    _readers_only()
    return _render(consultation_id)


def _held_on() -> date:
    raw = (request.form.get("held_on") or "").strip()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed(errors={"held_on": ["请填写会商日期（年-月-日）"]}) from None


def _attendees() -> list[str]:
    names = [n.strip() for n in re.split(r"[\n,，、；;]+", request.form.get("attendees") or "") if n.strip()]
    if not names:
        raise ValidationFailed(errors={"attendees": ["请填写参会人员"]})
    return names


@bp.route("/consultations/<int:consultation_id>/outcome", methods=["POST"])
def consultation_outcome(consultation_id: int):
    """Record the meeting and assign each item as decided, in one transaction."""
    if g.staff.role not in ORG_ROLES:
        raise Forbidden("只有组织部研判人员可以记录会商结果")
    consultation = meetings.get_consultation(consultation_id)
    departments = _departments()
    try:
        outcome = (request.form.get("outcome") or "").strip()
        if not outcome:
            raise ValidationFailed(errors={"outcome": ["请填写会商结果"]})
        plan = []
        for feedback in meetings.items_of(consultation):
            if feedback.status != "in_consultation":
                continue
            primary = (request.form.get(f"primary-{feedback.id}") or "").strip()
            if not primary:
                raise ValidationFailed(errors={f"primary-{feedback.id}": [f"请为反映 #{feedback.id} 选择主办部门"]})
            plan.append(
                {
                    "feedback_id": feedback.id,
                    "primary": department_code(primary, departments, f"primary-{feedback.id}"),
                    "cooperating": [
                        department_code(v, departments, f"primary-{feedback.id}")
                        for v in request.form.getlist(f"cooperating-{feedback.id}")
                        if v.strip()
                    ],
                    "instructions": (request.form.get(f"instructions-{feedback.id}") or "").strip() or None,
                }
            )
        meetings.record_outcome(
            Actor.staff(g.staff),
            consultation,
            held_on=_held_on(),
            attendees=_attendees(),
            outcome=outcome,
            assignments=plan,
        )
    except AppError as error:
        db.session.rollback()
        return _render(consultation_id, error, error.status)
    db.session.commit()
    flash("会商结果已记录，各条反映已按结果交办", "success")
    return redirect(url_for("console.consultation_detail", consultation_id=consultation_id))


@bp.route("/consultations/<int:consultation_id>/correction", methods=["POST"])
def consultation_correction(consultation_id: int):
    """Correct the date, attendees or outcome of a meeting already held, with the reason."""
    if g.staff.role not in ORG_ROLES:
        raise Forbidden("只有组织部研判人员可以更正会商记录")
    consultation = meetings.get_consultation(consultation_id)
    try:
        reason = (request.form.get("reason") or "").strip()
        if not reason:
            raise ValidationFailed(errors={"reason": ["请填写更正理由"]})
        outcome = (request.form.get("outcome") or "").strip()
        if not outcome:
            raise ValidationFailed(errors={"outcome": ["会商结果不能为空"]})
        changes = {"held_on": _held_on(), "attendees": _attendees(), "outcome": outcome}
        meetings.correct_outcome(Actor.staff(g.staff), consultation, changes, reason)
    except AppError as error:
        db.session.rollback()
        return _render(consultation_id, error, error.status)
    db.session.commit()
    flash("会商记录已更正，更正前后的内容已记入各条反映的办理记录", "success")
    return redirect(url_for("console.consultation_detail", consultation_id=consultation_id))
