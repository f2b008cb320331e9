"""Submission of a feedback by a cadre: tag, suggest a route, issue a receipt."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from feedback.clock import now
from feedback.errors import Conflict, ValidationFailed
from feedback.extensions import db
from feedback.labels import FEEDBACK_STATUS_LABELS
from feedback.models import Feedback, FeedbackContact, FeedbackTag, IdempotencyRecord, ObservationPoint, Tag, Upload
from feedback.privacy import generate_receipt, idempotency_lookup, receipt_digest, seal, unseal
from feedback.services.events import record_event
from feedback.services.keys import purpose_key
from feedback.services.routing import suggestion_for
from feedback.services.search import index_feedback
from feedback.services.tagger import get_tagger
from feedback.timeutil import local_date

RECEIPT_NOTICE = ("查询码是查看办理进度的唯一凭证，只显示这一次，请截图或抄写保存。"
                  "任何人都无法通过查询码以外的方式找到您的反映。")


def _point(code: str | None) -> ObservationPoint | None:
    if code is None:
        return None
    point = db.session.scalar(select(ObservationPoint).where(ObservationPoint.code == code,
                                                             ObservationPoint.active.is_(True)))
    if point is None:
        raise ValidationFailed(errors={"point_code": ["未找到该观测点，请核对编号"]})
    return point


def _uploads(ids: list[str]) -> list[Upload]:
    if not ids:
        return []
    found = {u.id: u for u in db.session.scalars(select(Upload).where(Upload.id.in_(ids)))}
    bad = [i for i in ids if i not in found or found[i].feedback_id is not None]
    if bad:
        raise ValidationFailed(errors={"attachments": ["附件不存在或已被使用，请重新上传图片"]})
    return [found[i] for i in ids]


def _claim_idempotency(pseudonym: str, idem_key: str) -> tuple[IdempotencyRecord | None, dict | None]:
    """Reserve the key first, so a concurrent duplicate fails before any feedback is written."""
    key = purpose_key("idempotency")
    lookup = idempotency_lookup(key, pseudonym, idem_key)
    moment = now()
    existing = db.session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.lookup == lookup))
    if existing is not None and existing.expires_at > moment:
        if not existing.sealed:
            raise Conflict("相同的提交正在处理，请稍候刷新", code="submission_in_progress")
        return None, unseal(key, pseudonym, idem_key, existing.sealed)
    if existing is not None:
        db.session.delete(existing)
        db.session.flush()
    ttl = timedelta(hours=int(current_app.config["IDEMPOTENCY_TTL_HOURS"]))
    record = IdempotencyRecord(lookup=lookup, sealed=b"", expires_at=moment + ttl)
    db.session.add(record)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("相同的提交正在处理，请稍候刷新", code="submission_in_progress") from None
    return record, None


def submit_feedback(pseudonym: str, data: dict[str, Any], idem_key: str | None = None) -> tuple[dict, bool]:
    """Return (response body, replayed). The pseudonym only scopes the idempotency key; it is not stored."""
    record = None
    if idem_key:
        record, replay = _claim_idempotency(pseudonym, idem_key)
        if replay is not None:
            return replay, True
    point = _point(data.get("point_code"))
    uploads = _uploads(data.get("attachments") or [])
    content = data["content"].strip()
    receipt = generate_receipt()
    feedback = Feedback(
        kind=data["kind"],
        status="submitted",
        content=content,
        anonymous=data.get("anonymous", True),
        region_code=data.get("region_code") or (point.region_code if point else None),
        unit_level=data.get("unit_level"),
        imposer_level=data.get("imposer_level"),
        point=point,
        receipt_hash=receipt_digest(purpose_key("receipt"), receipt),
        submitted_at=now(),
        submitted_on=local_date(now()),
    )
    db.session.add(feedback)
    _apply_tags(feedback, content)
    db.session.flush()
    index_feedback(feedback.id, content)
    suggestion = suggestion_for([t.tag.code for t in feedback.tags], content, feedback.imposer_level)
    feedback.routing_suggestion = suggestion.as_dict() if suggestion else None
    for upload in uploads:
        upload.feedback_id = feedback.id
    contact = data.get("contact")
    if contact and not feedback.anonymous:
        db.session.add(FeedbackContact(feedback_id=feedback.id, **contact))
    record_event(feedback.id, "submitted", actor_type="reporter", to_status="submitted",
                 visible_to_reporter=True)
    body = {
        "receipt": receipt,
        "status": feedback.status,
        "status_label": FEEDBACK_STATUS_LABELS[feedback.status],
        "kind": feedback.kind,
        "tags": [{"code": t.tag.code, "name": t.tag.name} for t in feedback.tags],
        "attachments": len(uploads),
        "submitted_on": feedback.submitted_on.isoformat(),
        "notice": RECEIPT_NOTICE,
    }
    if record is not None:
        record.sealed = seal(purpose_key("idempotency"), pseudonym, idem_key, body)
    db.session.flush()
    return body, False


def _apply_tags(feedback: Feedback, content: str) -> None:
    tagger = get_tagger()
    hits = tagger.tag(content)
    if not hits:
        return
    tags = {t.code: t for t in db.session.scalars(select(Tag).where(Tag.code.in_([h.code for h in hits]),
                                                                    Tag.active.is_(True)))}
    for hit in hits:
        tag = tags.get(hit.code)
        if tag is not None:
            feedback.tags.append(FeedbackTag(tag=tag, score=hit.score, matched=list(hit.matched), source="auto",
                                             tagger_version=tagger.version, learned=list(hit.learned)))
