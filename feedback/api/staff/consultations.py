"""集中会商 views."""

from __future__ import annotations

from feedback.api.staff import INT_ID, blp, current_staff, require_roles
from feedback.api.staff.schemas_feedback import ConsultationIn, ConsultationOut, OutcomeCorrectionIn, OutcomeIn
from feedback.extensions import db
from feedback.services.handling.actors import Actor
from feedback.services.triage import consultations
from feedback.workflow import ORG_ROLES, READER_ROLES


def _view(consultation) -> dict:
    return {
        "id": consultation.id,
        "title": consultation.title,
        "status": consultation.status,
        "scheduled_on": consultation.scheduled_on,
        "held_on": consultation.held_on,
        "attendees": consultation.attendees or [],
        "outcome": consultation.outcome,
        "departments": consultation.departments,
        "feedback_ids": [f.id for f in consultations.items_of(consultation)],
    }


@blp.route("/consultations", methods=["POST"])
@require_roles(*ORG_ROLES)
@blp.arguments(ConsultationIn)
@blp.response(201, ConsultationOut)
def convene(payload):
    """召集集中会商：一条或多条反映、至少两个部门。"""
    consultation = consultations.convene(
        Actor.staff(current_staff()),
        title=payload["title"],
        feedback_ids=payload["feedback_ids"],
        department_codes=payload["departments"],
        scheduled_on=payload.get("scheduled_on"),
    )
    db.session.commit()
    return _view(consultation)


@blp.route(f"/consultations/{INT_ID.format('consultation_id')}", methods=["GET"])
@require_roles(*READER_ROLES)
@blp.response(200, ConsultationOut)
def get_consultation(consultation_id):
    """会商详情。"""
    return _view(consultations.get_consultation(consultation_id))


@blp.route(f"/consultations/{INT_ID.format('consultation_id')}/outcome", methods=["POST"])
@require_roles(*ORG_ROLES)
@blp.arguments(OutcomeIn)
@blp.response(200, ConsultationOut)
def record_outcome(payload, consultation_id):
    """记录会商日期、参会人员和结果，并按结果交办每条反映。"""
    consultation = consultations.get_consultation(consultation_id)
    consultations.record_outcome(
        Actor.staff(current_staff()),
        consultation,
        held_on=payload["held_on"],
        attendees=payload["attendees"],
        outcome=payload["outcome"],
        assignments=payload["assignments"],
    )
    db.session.commit()
    return _view(consultation)


@blp.route(f"/consultations/{INT_ID.format('consultation_id')}/outcome", methods=["PATCH"])
@require_roles(*ORG_ROLES)
@blp.arguments(OutcomeCorrectionIn)
@blp.response(200, ConsultationOut)
def correct_outcome(payload, consultation_id):
    """更正已记录的会商日期、参会人员或结果（须写明理由，记入各反映的办理记录）；已按结果作出的交办不变。"""
    consultation = consultations.get_consultation(consultation_id)
    reason = payload.pop("reason")
    consultations.correct_outcome(Actor.staff(current_staff()), consultation, payload, reason)
    db.session.commit()
    return _view(consultation)
