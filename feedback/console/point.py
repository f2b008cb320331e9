"""The observation-point liaison's pages: the point's 日登记 (today and the last days still open to
correction, missing days) and a form to submit a feedback in the point's name.

A liaison never names a point: both pages act on ``g.staff``'s own point, through the same
services and schemas as ``PUT /api/staff/v1/ledger/<day>`` and ``POST /api/mp/v1/feedback``.
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from marshmallow import ValidationError

from feedback.api.mp.schemas import FeedbackIn
from feedback.api.staff.schemas_ledger import COUNT_HELP, LABELS, LedgerDayIn
from feedback.console import bp
from feedback.console.pages import error_text
from feedback.errors import AppError, Forbidden
from feedback.extensions import db
from feedback.labels import IMPOSER_LEVELS, KIND_LABELS, UNIT_LEVELS
from feedback.services.intake.submit import submit_feedback
from feedback.services.reporting import ledger, ledger_views
from feedback.services.reporting.ledger import LEDGER_COUNTS

INTEGER = re.compile(r"[+-]?\d{1,9}")


def _liaison():
    if g.staff.role != "liaison":
        raise Forbidden("只有观测点联络员可以使用此页面")
    return ledger.liaison_point(g.staff)


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
    return {name: (m if isinstance(m, list) else [str(m)]) for name, m in messages.items()}


# --------------------------------------------------------------------------------------------- 日登记


def _day_rows(days: dict[str, Any], current: date) -> list[dict[str, Any]]:
    """Today and each earlier day still open to correction, newest first, with its entry if any."""
    entries = {e["day"]: e for e in days["entries"]}
    kinds = ledger_views.day_kinds(ledger.Period(days["editable_from"], current))
    return [
        {"day": day, "entry": entries.get(day), "kind": kinds[day], "missing": day in days["missing_days"]}
        for day in sorted(kinds, reverse=True)
    ]


def _form_counts(form) -> dict[str, Any]:
    """Form text to the API's JSON: a whole number becomes an int, a blank 0, anything else stays text
    (the schema then answers "应为整数")."""
    body: dict[str, Any] = {}
    for name in LEDGER_COUNTS:
        text = form.get(name, "").strip()
        body[name] = 0 if text == "" else int(text) if INTEGER.fullmatch(text) else text
    body["note"] = form.get("note", "").strip() or None
    return body


def _ledger_page(point, day: date, values: dict[str, Any] | None = None, errors: dict | None = None, status=200):
    current = ledger.today()
    days = ledger_views.point_days(point, ledger.liaison_range(None, None))
    rows = _day_rows(days, current)
    entry = next((r["entry"] for r in rows if r["day"] == day), None)
    if values is None:
        values = {n: entry[n] if entry else 0 for n in LEDGER_COUNTS} | {"note": (entry or {}).get("note") or ""}
    older_missing = [d for d in days["missing_days"] if d < days["editable_from"]]
    return render_template(
        "console/point_ledger.html",
        point=point,
        day=day,
        entry=entry,
        values=values,
        errors=errors or {},
        rows=rows,
        days=days,
        older_missing=older_missing,
        kind_labels=ledger_views.DAY_KINDS,
        counts=LEDGER_COUNTS,
        labels=LABELS,
        help=COUNT_HELP,
        today=current,
    ), status


@bp.route("/point/ledger", methods=["GET", "POST"])
def point_ledger():
    point = _liaison()
    current = ledger.today()
    raw = (request.form if request.method == "POST" else request.args).get("day", "").strip()
    try:
        day = ledger.parse_day(raw) if raw else current
    except AppError:
        flash("日期格式应为 YYYY-MM-DD，已显示今天的登记", "error")
        return redirect(url_for("console.point_ledger"))
    if not ledger.first_editable_day(current) <= day <= current:
        flash(f"只能填写今天和此前 {ledger.correction_days()} 天的登记；更早的日期如需更正请联系组织部", "error")
        return redirect(url_for("console.point_ledger"))
    if request.method == "GET":
        return _ledger_page(point, day)
    body = _form_counts(request.form)
    shown = {n: request.form.get(n, "") for n in LEDGER_COUNTS} | {"note": request.form.get("note", "")}
    try:
        payload = LedgerDayIn().load(body)
        note = payload.pop("note", None)
        ledger.record_day(g.staff, day, payload, note)
    except ValidationError as exc:
        db.session.rollback()
        return _ledger_page(point, day, shown, _errors(exc), 422)
    except AppError as error:
        db.session.rollback()
        errors = getattr(error, "errors", None) or {}
        if not errors:
            flash(error_text(error), "error")
        return _ledger_page(point, day, shown, errors, error.status)
    db.session.commit()
    flash(f"已保存 {day.isoformat()} 的登记", "success")
    return redirect(url_for("console.point_ledger", day=day.isoformat()))


# ------------------------------------------------------------------------------------------- 观测点反映


def _submit_page(point, values: dict[str, Any], errors: dict | None = None, status: int = 200):
    return render_template(
        "console/point_submit.html",
        point=point,
        values=values,
        errors=errors or {},
        kinds=KIND_LABELS,
        unit_levels=UNIT_LEVELS,
        imposer_levels=IMPOSER_LEVELS,
    ), status


def _submission(point, form) -> dict[str, Any]:
    """The form as the mini-program API's request body, always in the point's name (not anonymous)."""
    body: dict[str, Any] = {
        "kind": form.get("kind", ""),
        "content": form.get("content", ""),
        "anonymous": False,
        "point_code": point.code,
    }
    for name in ("unit_level", "imposer_level"):
        if form.get(name):
            body[name] = form[name]
    contact = {k: form.get(f"contact_{k}", "").strip() for k in ("name", "phone")}
    if any(contact.values()):
        body["contact"] = {k: v for k, v in contact.items() if v}
    return body


@bp.route("/point/submit", methods=["GET", "POST"])
def point_submit():
    point = _liaison()
    if request.method == "GET":
        return _submit_page(point, {"kind": "problem", "key": uuid.uuid4().hex})
    values = request.form.to_dict()
    if not point.active:
        flash("观测点已停用，不能再以观测点名义提交反映", "error")
        return _submit_page(point, values, status=409)
    try:
        data = FeedbackIn().load(_submission(point, request.form))
    except ValidationError as exc:
        return _submit_page(point, values, _errors(exc), 422)
    key = values.get("key", "")
    # The key only makes a resent form (reload, double click) answer with the first receipt.
    idem_key = key if re.fullmatch(r"[0-9a-f]{32}", key) else None
    try:
        body, replayed = submit_feedback(f"console-liaison:{g.staff.id}", data, idem_key)
    except AppError as error:
        db.session.rollback()
        errors = getattr(error, "errors", None) or {}
        if not errors:
            flash(error_text(error), "error")
        return _submit_page(point, values, errors, error.status)
    if not replayed:
        db.session.commit()
    return render_template("console/point_submitted.html", point=point, result=body, replayed=replayed)
