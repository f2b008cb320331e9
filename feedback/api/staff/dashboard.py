"""工作台 as JSON: the org department's queues and the deadline board, the same numbers as the console."""

from __future__ import annotations

from feedback.api import fields as f
from feedback.api.fields import CodeNameOut, Schema
from feedback.api.staff import blp, require_roles
from feedback.services.handling import board_views
from feedback.services.triage import dashboard_views
from feedback.workflow import READER_ROLES


class QueuesOut(Schema):
    submitted = f.Integer(metadata={"description": "待研判的反映"})
    needs_info = f.Integer(metadata={"description": "待补充（等待反映人答复）的反映"})
    in_consultation = f.Integer(metadata={"description": "会商中的反映"})
    extensions = f.Integer(metadata={"description": "待审批的延期申请"})
    verifications = f.Integer(metadata={"description": "待核验的整改反馈"})
    overdue = f.Integer(metadata={"description": "超期的交办单（与 GET /assignments?state=overdue 的 total 相同）"})


class BoardCountsOut(Schema):
    pending = f.Integer(metadata={"description": "待签收"})
    on_time = f.Integer(metadata={"description": "正常（仍在计时，含待签收）"})
    due_soon = f.Integer(metadata={"description": "临期"})
    overdue = f.Integer(metadata={"description": "超期"})
    duban = f.Integer(metadata={"description": "未解除的督办"})
    tongbao = f.Integer(metadata={"description": "未解除的通报"})
    returned = f.Integer(metadata={"description": "累计退回的交办单"})
    extensions = f.Integer(metadata={"description": "累计延期申请"})
    returned_twice = f.Integer(metadata={"description": "本部门退回过、且累计被退回两次及以上的反映件数"})


class BoardRowOut(BoardCountsOut):
    department = f.Nested(CodeNameOut)
    flagged = f.Boolean(metadata={"description": "有反映被退回两次及以上"})


class DashboardOut(Schema):
    queues = f.Nested(QueuesOut)
    board = f.List(f.Nested(BoardRowOut), metadata={"description": "有交办单的部门，最紧急的在前"})
    totals = f.Nested(BoardCountsOut)
    idle_departments = f.Integer(metadata={"description": "暂无交办单、未列出的启用部门数"})


@blp.route("/dashboard", methods=["GET"])
@require_roles(*READER_ROLES)
@blp.response(200, DashboardOut)
def dashboard():
    """工作台：各待办数量，以及各部门办理期限一览（与控制台工作台的数字相同）。"""
    board = board_views.deadline_board()
    rows = [{"department": {"code": r.code, "name": r.name}, **r.counts, "flagged": r.flagged} for r in board["rows"]]
    return {
        "queues": dashboard_views.queue_counts(),
        "board": rows,
        "totals": board["totals"],
        "idle_departments": board["idle_departments"],
    }
