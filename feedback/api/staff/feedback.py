"""Triage views: the inbox, one feedback, its history, and the org department's decisions."""

from __future__ import annotations

from feedback.api.staff import ID, blp, current_staff, require_roles
from feedback.api.staff.schemas_feedback import (
    CloseIn,
    EventOut,
    FeedbackDetail,
    InboxArgs,
    InboxPage,
    MergeIn,
    QuestionIn,
    ReasonIn,
    RetagIn,
    RouteIn,
)
from feedback.extensions import db
from feedback.services.handling.actors import Actor
from feedback.services.triage import assigning, decisions, inbox
from feedback.workflow import ORG_ROLES, READER_ROLES


def _actor() -> Actor:
    return Actor.staff(current_staff())


def _decided(feedback_id: int, change) -> dict:
    """Run one triage decision in one transaction and answer with the updated feedback."""
    actor = _actor()
    feedback = decisions.get_feedback(feedback_id)
    change(actor, feedback)
    db.session.commit()
    return inbox.detail(actor, feedback)


@blp.route("/feedback", methods=["GET"])
@require_roles(*READER_ROLES)
@blp.arguments(InboxArgs, location="query")
@blp.response(200, InboxPage)
def list_feedback(args):
    """收件箱：按状态、标签、类型、观测点、区划、是否超期筛选，支持中文全文搜索，分页。

    总条数超过 10000 时默认不精确统计（total=10000、total_exact=false，界面显示“1 万+”）；
    全文搜索（q）超过 1000 条即不再计数（total=1000、total_exact=false，界面显示“1000+”）。
    需要精确数字时加 exact_total=true。深翻页请用上一页返回的 next_after 作为 after。"""
    query = inbox.InboxQuery(**args)
    items, total, next_after = inbox.list_inbox(query)
    return {
        "items": items,
        "total": total.value,
        "total_exact": total.exact,
        "next_after": next_after,
        "page": query.page,
        "per_page": query.per_page,
    }


@blp.route(f"/feedback/{ID.format('feedback_id')}", methods=["GET"])
@blp.response(200, FeedbackDetail)
def get_feedback(feedback_id):
    """一条反映的详情。部门只能看到交办给本部门的反映，且看不到联系方式和精确提交时间。"""
    actor = _actor()
    return inbox.detail(actor, inbox.visible_feedback(actor, feedback_id))


@blp.route(f"/feedback/{ID.format('feedback_id')}/events", methods=["GET"])
@require_roles(*READER_ROLES)
@blp.response(200, EventOut(many=True))
def feedback_history(feedback_id):
    """完整办理记录（只追加，不可修改）。"""
    return inbox.history(decisions.get_feedback(feedback_id))


@blp.route(f"/feedback/{ID.format('feedback_id')}/tags", methods=["POST"])
@require_roles(*ORG_ROLES)
@blp.arguments(RetagIn)
@blp.response(200, FeedbackDetail)
def retag(payload, feedback_id):
    """修改标签（记录修改前后的标签）。"""
    return _decided(feedback_id, lambda a, f: decisions.retag(a, f, payload["tags"], payload.get("note")))


@blp.route(f"/feedback/{ID.format('feedback_id')}/reject", methods=["POST"])
@require_roles(*ORG_ROLES)
@blp.arguments(ReasonIn)
@blp.response(200, FeedbackDetail)
def reject(payload, feedback_id):
    """不予受理；理由会显示给反映人。"""
    return _decided(feedback_id, lambda a, f: decisions.reject(a, f, payload["reason"]))


@blp.route(f"/feedback/{ID.format('feedback_id')}/merge", methods=["POST"])
@require_roles(*ORG_ROLES)
@blp.arguments(MergeIn)
@blp.response(200, FeedbackDetail)
def merge(payload, feedback_id):
    """把重复反映合并到另一条。"""
    return _decided(feedback_id, lambda a, f: decisions.merge(a, f, payload["target_id"], payload.get("note")))


@blp.route(f"/feedback/{ID.format('feedback_id')}/questions", methods=["POST"])
@require_roles(*ORG_ROLES)
@blp.arguments(QuestionIn)
@blp.response(200, FeedbackDetail)
def ask(payload, feedback_id):
    """向反映人提问；等待答复期间办理期限暂停计算。"""
    return _decided(feedback_id, lambda a, f: decisions.ask_reporter(a, f, payload["question"]))


@blp.route(f"/feedback/{ID.format('feedback_id')}/route", methods=["POST"])
@require_roles(*ORG_ROLES)
@blp.arguments(RouteIn)
@blp.response(200, FeedbackDetail)
def route(payload, feedback_id):
    """交办：direct 直接交办主办、协办部门；escalate 转市直对口部门向上反映。"""
    if payload["path"] == "escalate":
        return _decided(
            feedback_id, lambda a, f: assigning.route_escalate(a, f, payload["primary"], payload.get("instructions"))
        )
    return _decided(
        feedback_id,
        lambda a, f: assigning.route_direct(
            a, f, payload["primary"], payload["cooperating"], payload.get("instructions")
        ),
    )


@blp.route(f"/feedback/{ID.format('feedback_id')}/close", methods=["POST"])
@require_roles(*ORG_ROLES)
@blp.arguments(CloseIn)
@blp.response(200, FeedbackDetail)
def close(payload, feedback_id):
    """办结：主办部门的整改反馈须已销号；尚未反馈的协办部门须写明免报理由（waive_reason）。"""
    return _decided(feedback_id, lambda a, f: decisions.close(a, f, payload.get("note"), payload.get("waive_reason")))
