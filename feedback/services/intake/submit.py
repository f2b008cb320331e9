"""Submission of a feedback by a cadre: tag, suggest a route, issue a receipt."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from feedback.clock import now
from feedback.errors import Conflict, ValidationFailed
from feedback.extensions import db
from feedback.labels import FEEDBACK_STATUS_LABELS
from feedback.models import (
    Department,
    Feedback,
    FeedbackContact,
    FeedbackTag,
    IdempotencyRecord,
    ObservationPoint,
    Tag,
    Upload,
)
from feedback.privacy import generate_receipt, idempotency_lookup, receipt_digest, seal, unseal
from feedback.services.admin.search import index_feedback
from feedback.services.admin.tagger import get_tagger
from feedback.services.handling.events import record_event
from feedback.services.inserts import insert_if_absent
from feedback.services.keys import purpose_key
from feedback.services.reporting import terms
from feedback.services.triage.suggestions import suggestion_for
from feedback.timeutil import day_start, local_date

# Key, inside the sealed replay, of a digest of the request it answered: a key reused for another
# body is refused (422, as in the IETF Idempotency-Key draft) instead of silently dropping it.
REQUEST_DIGEST = "_request"
RECEIPT_NOTICE = (
    "查询码是查看办理进度的唯一凭证，只显示这一次，请截图或抄写保存。任何人都无法通过查询码以外的方式找到您的反映。"
)


def _point(code: str | None) -> ObservationPoint | None:
    if code is None:
        return None
    point = db.session.scalar(
        select(ObservationPoint).where(ObservationPoint.code == code, ObservationPoint.active.is_(True))
    )
    if point is None:
        raise ValidationFailed(errors={"point_code": ["未找到该观测点，请核对编号"]})
    return point


# GB/T 2260 provinces, for a deployment whose reference data names no region at all.
GB_PROVINCES = frozenset(
    {
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
    }
)


def served_provinces() -> frozenset[str]:
    """Provinces (first two digits) of the active departments and points this deployment serves."""
    codes = set()
    for model in (Department, ObservationPoint):
        codes |= set(
            db.session.scalars(
                select(func.substr(model.region_code, 1, 2))
                .where(model.active.is_(True), model.region_code.is_not(None))
                .distinct()
            )
        )
    return frozenset(codes) or GB_PROVINCES


def _region(code: str | None) -> str | None:
    if code is not None and code[:2] not in served_provinces():
        raise ValidationFailed(errors={"region_code": ["行政区划代码不在本平台服务的地区范围内，请核对后重新填写"]})
    return code


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
    ttl = timedelta(hours=current_app.config["IDEMPOTENCY_TTL_HOURS"])
    # A concurrent request with the same key inserts first: this one answers 409 and keeps its session.
    record_id = insert_if_absent(
        IdempotencyRecord, {"lookup": lookup, "sealed": b"", "expires_at": moment + ttl}, ["lookup"]
    )
    if record_id is None:
        raise Conflict("相同的提交正在处理，请稍候刷新", code="submission_in_progress")
    return db.session.get_one(IdempotencyRecord, record_id), None


def _request_digest(data: dict[str, Any]) -> str:
    """Digest of the validated request; kept only inside the sealed replay, so it links nothing."""
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _replay(replay: dict, data: dict[str, Any]) -> dict:
    expected = replay.pop(REQUEST_DIGEST, None)
    if expected is not None and expected != _request_digest(data):
        raise ValidationFailed(
            "该幂等键已用于另一条内容不同的反映；提交新的反映请使用新的幂等键",
            errors={"Idempotency-Key": ["幂等键已用于内容不同的提交，请为新的反映生成新的幂等键"]},
            code="idempotency_key_reused",
        )
    return replay


def submit_feedback(pseudonym: str, data: dict[str, Any], idem_key: str | None = None) -> tuple[dict, bool]:
    """Return (response body, replayed). The pseudonym only scopes the idempotency key; it is not stored."""
    record = None
    if idem_key:
        record, replay = _claim_idempotency(pseudonym, idem_key)
        if replay is not None:
            return _replay(replay, data), True
    point = _point(data.get("point_code"))
    region = _region(data.get("region_code"))
    uploads = _uploads(data.get("attachments") or [])
    content = data["content"].strip()
    receipt = generate_receipt()
    feedback = Feedback(
        kind=data["kind"],
        status="submitted",
        content=content,
        anonymous=data.get("anonymous", True),
        region_code=region or (point.region_code if point else None),
        unit_level=data.get("unit_level"),
        imposer_level=data.get("imposer_level"),
        point=point,
        receipt_hash=receipt_digest(purpose_key("receipt"), receipt),
        submitted_at=day_start(now()),  # the day only: see _keep_only_the_day
        submitted_on=local_date(now()),
    )
    db.session.add(feedback)
    _apply_tags(feedback, content)
    db.session.flush()
    index_feedback(feedback.id, content)
    terms.store(feedback.id, feedback.submitted_on, content)
    suggestion = suggestion_for([t.tag.code for t in feedback.tags], content, feedback.imposer_level)
    feedback.routing_suggestion = suggestion.as_dict() if suggestion else None
    for upload in uploads:
        upload.feedback_id = feedback.id
    contact = data.get("contact")
    if contact and not feedback.anonymous:
        db.session.add(FeedbackContact(feedback_id=feedback.id, created_at=feedback.submitted_at, **contact))
    record_event(feedback.id, "submitted", actor_type="reporter", to_status="submitted", visible_to_reporter=True)
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
    if record is not None and idem_key is not None:  # a record is claimed only for a key
        record.sealed = seal(
            purpose_key("idempotency"), pseudonym, idem_key, {**body, REQUEST_DIGEST: _request_digest(data)}
        )
    _keep_only_the_day(feedback, uploads, record)
    db.session.flush()
    return body, False


def _keep_only_the_day(feedback: Feedback, uploads: list[Upload], record: IdempotencyRecord | None) -> None:
    """Every row this submission writes is timed to its day, never to the second (DESIGN §5).

    The rate-limit store knows when one (hashed) person acted; exact times here would let the
    two be matched and that person's submissions grouped. Triage sees the day, departments
    too; the inbox orders by id, monthly facts read submitted_on, retention reads closed_at.
    """
    day = feedback.submitted_at
    feedback.updated_at = day
    for tag in feedback.tags:
        tag.created_at = day
    for upload in uploads:
        upload.created_at = day
    if record is not None:
        ttl = timedelta(hours=current_app.config["IDEMPOTENCY_TTL_HOURS"])
        record.created_at, record.expires_at = day, day_start(now() + ttl) + timedelta(days=1)


def _apply_tags(feedback: Feedback, content: str) -> None:
    tagger = get_tagger()
    hits = tagger.tag(content)
    if not hits:
        return
    tags = {
        t.code: t
        for t in db.session.scalars(select(Tag).where(Tag.code.in_([h.code for h in hits]), Tag.active.is_(True)))
    }
    for hit in hits:
        tag = tags.get(hit.code)
        if tag is not None:
            feedback.tags.append(
                FeedbackTag(
                    tag=tag,
                    score=hit.score,
                    matched=list(hit.matched),
                    source="auto",
                    tagger_version=tagger.version,
                    learned=list(hit.learned),
                )
            )
