"""Submission of a feedback by a cadre: tag, suggest a route, issue a receipt.

Every submission pays for this path (issue 12), so it writes with Core statements instead of the
ORM's unit of work: the reply is computed first (tags, receipt, sealed replay), then the
idempotency record is claimed with the sealed reply in one statement, then the feedback with its
tags, terms, event and search index row (submission_rows: one statement on PostgreSQL, which takes
the claim too when the submission's checks read nothing).
The active tags and served provinces come from a per-app cache (reference_cache) like the duty list.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any, cast

from flask import current_app
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult

from feedback.clock import now
from feedback.errors import Conflict, ValidationFailed
from feedback.extensions import db, dialect_name
from feedback.labels import FEEDBACK_STATUS_LABELS
from feedback.models import FeedbackContact, IdempotencyRecord, ObservationPoint, Upload
from feedback.privacy import generate_receipt, idempotency_lookup, receipt_digest, seal, unseal
from feedback.services import driver_sql
from feedback.services.admin.search import search_tokens
from feedback.services.admin.tagger import get_tagger
from feedback.services.intake.reference_cache import GB_PROVINCES, active_tags, served_provinces
from feedback.services.intake.submission_rows import Claim, NewFeedback, TagRow, claims_with_feedback, insert_feedback
from feedback.services.keys import purpose_key
from feedback.services.reporting import terms
from feedback.services.triage.suggestions import suggestion_for
from feedback.timeutil import day_start, local_date

__all__ = ["GB_PROVINCES", "RECEIPT_NOTICE", "served_provinces", "submit_feedback"]

# Key, inside the sealed replay, of a digest of the request it answered: a key reused for another
# body is refused (422, as in the IETF Idempotency-Key draft) instead of silently dropping it.
REQUEST_DIGEST = "_request"
RECEIPT_NOTICE = (
    "查询码是查看办理进度的唯一凭证，只显示这一次，请截图或抄写保存。任何人都无法通过查询码以外的方式找到您的反映。"
)

_CONTACT_INSERT = insert(FeedbackContact.__table__)
_RECORDS = IdempotencyRecord.__table__
_UPLOADS = Upload.__table__
_CLAIMS: dict[str, Any] = {}


def _point(code: str | None) -> tuple[int, str | None] | None:
    """(id, region_code) of the active observation point ``code``."""
    if code is None:
        return None
    point = db.session.execute(
        select(ObservationPoint.id, ObservationPoint.region_code).where(
            ObservationPoint.code == code, ObservationPoint.active.is_(True)
        )
    ).first()
    if point is None:
        raise ValidationFailed(errors={"point_code": ["未找到该观测点，请核对编号"]})
    return point[0], point[1]


def _region(code: str | None) -> str | None:
    if code is not None and code[:2] not in served_provinces():
        raise ValidationFailed(errors={"region_code": ["行政区划代码不在本平台服务的地区范围内，请核对后重新填写"]})
    return code


def _unclaimed_uploads(ids: list[str]) -> None:
    """Refuse attachments that do not exist or belong to a feedback already."""
    if not ids:
        return
    free = set(
        db.session.scalars(select(_UPLOADS.c.id).where(_UPLOADS.c.id.in_(ids), _UPLOADS.c.feedback_id.is_(None)))
    )
    if any(i not in free for i in ids):
        raise _uploads_refused()


def _uploads_refused() -> ValidationFailed:
    return ValidationFailed(errors={"attachments": ["附件不存在或已被使用，请重新上传图片"]})


def _claim_uploads(ids: list[str], feedback_id: int, day: datetime) -> None:
    """Attach the uploads, unless another submission took one of them meanwhile."""
    if not ids:
        return
    result = db.session.execute(
        update(_UPLOADS)
        .where(_UPLOADS.c.id.in_(ids), _UPLOADS.c.feedback_id.is_(None))
        .values(feedback_id=feedback_id, created_at=day)
    )
    claimed = cast("CursorResult[Any]", result).rowcount
    if claimed != len(set(ids)):
        raise _uploads_refused()


def _claim_statement(dialect_name: str) -> Any:
    """INSERT … ON CONFLICT (lookup) DO UPDATE … WHERE expired RETURNING id, built once per dialect."""
    stmt = _CLAIMS.get(dialect_name)
    if stmt is None:
        insert_ = postgresql.insert if dialect_name == "postgresql" else sqlite.insert
        stmt = insert_(_RECORDS)
        stmt = stmt.on_conflict_do_update(
            index_elements=["lookup"],
            set_={name: stmt.excluded[name] for name in ("sealed", "created_at", "expires_at")},
            where=_RECORDS.c.expires_at <= bindparam("moment", type_=_RECORDS.c.expires_at.type),
        ).returning(_RECORDS.c.id)
        _CLAIMS[dialect_name] = stmt
    return stmt


def _claim_idempotency(lookup: str, sealed: bytes, day: datetime, expires_at: datetime, moment: datetime) -> bool:
    """Store the sealed reply under ``lookup`` unless an unexpired record holds it: True if stored.

    One statement, atomic on both databases (INSERT … ON CONFLICT DO UPDATE … WHERE expired): of two
    concurrent submissions with one key, PostgreSQL makes the second wait for the first and then
    finds its record; SQLite serialises the writers. It runs before any feedback is written.
    """
    stmt = _claim_statement(dialect_name())
    values = {"lookup": lookup, "sealed": sealed, "created_at": day, "expires_at": expires_at, "moment": moment}
    return bool(driver_sql.execute(stmt, values, insert_columns=True))


def _stored_reply(key: bytes, pseudonym: str, idem_key: str, lookup: str) -> dict:
    """The reply sealed under a key already used (and not expired)."""
    sealed = db.session.scalar(select(_RECORDS.c.sealed).where(_RECORDS.c.lookup == lookup))
    if not sealed:  # none (a purge raced us) or a claim without its reply yet
        raise Conflict("相同的提交正在处理，请稍候刷新", code="submission_in_progress")
    return unseal(key, pseudonym, idem_key, sealed)


def _checks_nothing_stored(data: dict[str, Any]) -> bool:
    """True when the submission's checks read nothing a first sending changes (no attachments, no
    point, a region code that is served or none), so its key can be claimed together with the
    feedback: a resent submission passes them exactly as its first sending did."""
    region = data.get("region_code")
    return (
        not data.get("attachments")
        and data.get("point_code") is None
        and (region is None or region[:2] in served_provinces())
    )


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
    moment = now()
    day = _keep_only_the_day(moment)
    content = data["content"].strip()
    tagger = get_tagger()
    known = active_tags()
    hits = [(hit, known[hit.code]) for hit in tagger.tag(content) if hit.code in known]
    tag_codes = [hit.code for hit, _ in hits]
    # Everything cut from the text is cut before the first write: on SQLite that write takes the
    # database's one write lock, which every other submission then waits for until the commit.
    suggestion = suggestion_for(tag_codes, content, data.get("imposer_level"))
    keywords = terms.keywords(content, tagger)
    tokens = search_tokens(content, tagger)
    attachments = data.get("attachments") or []
    receipt = generate_receipt()
    body = {
        "receipt": receipt,
        "status": "submitted",
        "status_label": FEEDBACK_STATUS_LABELS["submitted"],
        "kind": data["kind"],
        "tags": [{"code": hit.code, "name": tag.name} for hit, tag in hits],
        "attachments": len(attachments),
        "submitted_on": local_date(moment).isoformat(),
        "notice": RECEIPT_NOTICE,
    }
    claim = None
    if idem_key:
        key = purpose_key("idempotency")
        lookup = idempotency_lookup(key, pseudonym, idem_key)
        sealed = seal(key, pseudonym, idem_key, {**body, REQUEST_DIGEST: _request_digest(data)})
        ttl = timedelta(hours=current_app.config["IDEMPOTENCY_TTL_HOURS"])
        expires_at = day_start(moment + ttl) + timedelta(days=1)
        claim = Claim(lookup, sealed, expires_at, moment)
        if not (claims_with_feedback() and _checks_nothing_stored(data)):
            # The key is claimed before any check that reads the database: a resent submission
            # whose attachments its first sending took must get its replay, not a refusal.
            if not _claim_idempotency(lookup, sealed, day, expires_at, moment):
                return _replay(_stored_reply(key, pseudonym, idem_key, lookup), data), True
            claim = None
    point = _point(data.get("point_code"))
    region = _region(data.get("region_code"))
    _unclaimed_uploads(attachments)
    anonymous = data.get("anonymous", True)
    feedback_id = insert_feedback(
        NewFeedback(
            kind=data["kind"],
            content=content,
            anonymous=anonymous,
            region_code=region or (point[1] if point else None),
            unit_level=data.get("unit_level"),
            imposer_level=data.get("imposer_level"),
            point_id=point[0] if point else None,
            receipt_hash=receipt_digest(purpose_key("receipt"), receipt),
            day=day,
            submitted_on=local_date(moment),
            routing_suggestion=suggestion.as_dict() if suggestion else None,
            tags=[TagRow(tag.id, hit.score, list(hit.matched), list(hit.learned)) for hit, tag in hits],
            tagger_version=tagger.version,
            terms=keywords,
            search_tokens=tokens,
        ),
        claim,
    )
    if feedback_id is None:  # the claim in insert_feedback found the key taken: nothing was written
        assert idem_key is not None
        return _replay(_stored_reply(key, pseudonym, idem_key, lookup), data), True
    _claim_uploads(attachments, feedback_id, day)
    contact = data.get("contact")
    if contact and not anonymous:
        db.session.execute(_CONTACT_INSERT, {"feedback_id": feedback_id, "created_at": day, **contact})
    return body, False


def _keep_only_the_day(moment: datetime) -> datetime:
    """The one time stamped on every row this submission writes: its day, never the second (DESIGN §5).

    The feedback (submitted_at, updated_at), its tags, uploads, contact, event and idempotency
    record all take this value. The rate-limit store knows when one (hashed) person acted; exact
    times here would let the two be matched and that person's submissions grouped. Triage sees
    the day, departments too; the inbox orders by id, monthly facts read submitted_on, retention
    reads closed_at. The idempotency record expires at the end of a day, for the same reason.
    """
    return day_start(moment)
