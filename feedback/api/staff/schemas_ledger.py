"""Request and response schemas of the observation-point daily ledger (日登记、月统计、季度通报)."""

from __future__ import annotations

from marshmallow import validate

from feedback.api import fields as f
from feedback.api.fields import CodeNameOut, Schema

COUNT_HELP = {
    "meetings": "参加的会议次数",
    "irrelevant_meetings": "其中与本点工作无关、被要求陪会的次数（不多于参会次数）",
    "documents": "收到的文件份数",
    "inspections": "接受的督查、检查、考核次数",
    "forms": "填写的表格、报送的数据次数",
    "checkins": "被要求在 APP 或工作群打卡、签到、接龙的次数",
}
LABELS = {
    "meetings": "参会次数",
    "irrelevant_meetings": "陪会次数",
    "documents": "收文份数",
    "inspections": "督查检查次数",
    "forms": "填表报数次数",
    "checkins": "打卡签到次数",
}


def _count_in(name: str) -> f.Integer:
    return f.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=0, max=999, error=f"{LABELS[name]}应为 0–999 的整数"),
        metadata={"description": COUNT_HELP[name]},
    )


def _count_out(name: str) -> f.Integer:
    return f.Integer(metadata={"description": COUNT_HELP[name]})


# ------------------------------------------------------------------------------------------ requests


class LedgerDayIn(Schema):
    meetings = _count_in("meetings")
    irrelevant_meetings = _count_in("irrelevant_meetings")
    documents = _count_in("documents")
    inspections = _count_in("inspections")
    forms = _count_in("forms")
    checkins = _count_in("checkins")
    note = f.String(
        allow_none=True,
        validate=validate.Length(max=500, error="备注不超过 500 个字"),
        metadata={"description": "备注（可选），如会议名称、发文单位"},
    )


class LedgerCorrectionIn(LedgerDayIn):
    reason = f.String(
        required=True,
        validate=[
            validate.Length(min=1, max=500, error="更正理由应为 1–500 个字"),
            validate.Regexp(r"\S", error="更正理由不能为空"),
        ],
        metadata={"description": "更正理由（记入办理记录），如“联络员来电说明 9 月 3 日漏记一次检查”"},
    )


class LedgerRangeIn(Schema):
    start = f.Date(data_key="from", metadata={"description": "起始日期（含），默认 30 天前"})
    end = f.Date(data_key="to", metadata={"description": "截止日期（含），默认今天"})


class LedgerMonthIn(Schema):
    month = f.String(
        required=True,
        validate=validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", error="月份格式应为 YYYY-MM，如 2026-09"),
        metadata={"description": "月份，如 2026-09"},
    )


class LedgerQuarterIn(Schema):
    quarter = f.String(
        required=True,
        validate=validate.Regexp(r"^\d{4}[Qq][1-4]$", error="季度格式应为 YYYYQn，如 2026Q3"),
        metadata={"description": "季度，如 2026Q3"},
    )


# ----------------------------------------------------------------------------------------- responses


class LedgerCountsOut(Schema):
    meetings = _count_out("meetings")
    irrelevant_meetings = _count_out("irrelevant_meetings")
    documents = _count_out("documents")
    inspections = _count_out("inspections")
    forms = _count_out("forms")
    checkins = _count_out("checkins")


class LedgerEntryOut(LedgerCountsOut):
    day = f.Date()
    note = f.String(allow_none=True)
    recorded_by = f.String(allow_none=True, metadata={"description": "最后填写人"})
    updated_at = f.DateTime()
    editable = f.Boolean(metadata={"description": "联络员是否仍可补填或更正（超过期限即锁定，只能由组织部更正）"})
    source = f.String(metadata={"description": "liaison 联络员填写 / org 组织部更正"})


class LedgerPointDaysOut(Schema):
    point = f.Nested(CodeNameOut)
    start = f.Date(data_key="from")
    end = f.Date(data_key="to")
    first_day = f.Date(allow_none=True, metadata={"description": "本点第一次登记的日期；从未登记为 null"})
    editable_from = f.Date(metadata={"description": "此日及以后的登记可以补填或更正，更早的已锁定"})
    entries = f.List(f.Nested(LedgerEntryOut))
    missing_days = f.List(
        f.Date(),
        metadata={
            "description": "缺报日：首次登记之后（从未登记的观测点：本期全部）、今天之前、没有登记的工作日"
            "（按国家法定节假日和调休安排）"
        },
    )
    totals = f.Nested(LedgerCountsOut)


class LedgerPointMonthOut(Schema):
    code = f.String()
    name = f.String()
    active = f.Boolean()
    first_day = f.Date(allow_none=True, metadata={"description": "首次登记日期；从未登记为 null"})
    totals = f.Nested(LedgerCountsOut)
    days_filled = f.Integer(metadata={"description": "已登记天数"})
    days_missing = f.Integer(metadata={"description": "缺报的工作日天数（从未登记的观测点：本月今天之前的全部工作日）"})
    never_reported = f.Boolean(metadata={"description": "启用中但从未登记过"})


class LedgerMonthOverallOut(Schema):
    totals = f.Nested(LedgerCountsOut)
    days_filled = f.Integer()
    days_missing = f.Integer()
    points = f.Integer(metadata={"description": "统计的观测点数"})
    points_with_missing = f.Integer(metadata={"description": "有缺报的观测点数"})
    points_never_reported = f.Integer(metadata={"description": "启用中但从未登记过的观测点数"})


class LedgerMonthlyOut(Schema):
    month = f.String()
    start = f.Date(data_key="from")
    end = f.Date(data_key="to")
    partial = f.Boolean(metadata={"description": "本月尚未结束"})
    points = f.List(f.Nested(LedgerPointMonthOut))
    overall = f.Nested(LedgerMonthOverallOut)


class LedgerPeriodOut(Schema):
    start = f.Date(data_key="from")
    end = f.Date(data_key="to")


class LedgerSideOut(Schema):
    totals = f.Nested(LedgerCountsOut)
    days_filled = f.Integer()
    days_missing = f.Integer()


class LedgerQuarterPointOut(Schema):
    code = f.String()
    name = f.String()
    current = f.Nested(LedgerSideOut, metadata={"description": "本季度"})
    previous = f.Nested(LedgerSideOut, metadata={"description": "去年同期"})
    change = f.Nested(LedgerCountsOut, metadata={"description": "本季度减去年同期"})
    increased = f.List(f.String(), metadata={"description": "上升的项目（只减不增）"})
    complete = f.Boolean(metadata={"description": "两期均全程登记且无缺报，增减可比"})
    note = f.String(allow_none=True, metadata={"description": "不可比的原因"})


class LedgerFlagOut(Schema):
    code = f.String()
    name = f.String()
    count = f.String(
        metadata={"description": "项目：meetings、irrelevant_meetings、documents、inspections、forms、checkins"}
    )
    label = f.String()
    current = f.Integer()
    previous = f.Integer()
    change = f.Integer()
    complete = f.Boolean(metadata={"description": "false 表示有缺报或未全程登记，仅供参考"})


class LedgerGapOut(Schema):
    code = f.String()
    name = f.String()
    note = f.String()


class LedgerQuarterOverallOut(Schema):
    current = f.Nested(LedgerCountsOut)
    previous = f.Nested(LedgerCountsOut)
    change = f.Nested(LedgerCountsOut)
    increased = f.List(f.String())


class LedgerQuarterlyOut(Schema):
    quarter = f.String()
    current_period = f.Nested(LedgerPeriodOut)
    previous_period = f.Nested(LedgerPeriodOut)
    partial = f.Boolean(metadata={"description": "本季度尚未结束，与去年同期的相同日期比较"})
    points = f.List(f.Nested(LedgerQuarterPointOut))
    flags = f.List(f.Nested(LedgerFlagOut), metadata={"description": "比去年同期上升的（观测点、项目）"})
    incomplete_points = f.List(
        f.Nested(LedgerGapOut), metadata={"description": "有缺报或未全程登记的观测点：下降不代表减负"}
    )
    overall = f.Nested(LedgerQuarterOverallOut)
