"""Request and response schemas of the monthly summaries (月度分析)."""

from __future__ import annotations

from marshmallow import validate

from feedback.api import fields as f
from feedback.api.fields import Schema

HIDDEN_HELP = "组织部以外的角色看到的按观测点、地区、单位层级的小于 5 的数及其补充隐藏单元格为 null"

# ------------------------------------------------------------------------------------------ requests


class SummaryGenerateIn(Schema):
    force = f.Boolean(
        load_default=False, metadata={"description": "已发布的月份按最新数据重新生成（会替换已发布的内容）"}
    )


class SummaryExcerptItemIn(Schema):
    feedback_id = f.Integer(required=True, validate=validate.Range(min=1, error="反映编号无效"))
    note = f.String(
        allow_none=True,
        validate=validate.Length(max=200, error="说明不超过 200 个字"),
        metadata={"description": "组织部的简短说明（可选）"},
    )


class SummaryExcerptsIn(Schema):
    items = f.List(
        f.Nested(SummaryExcerptItemIn),
        required=True,
        validate=validate.Length(max=5, error="最多选择 5 条典型反映"),
        metadata={"description": "本月的典型反映，按展示顺序；空列表表示清除"},
    )


# ------------------------------------------------------------------------------------------ responses


class SummaryListItemOut(Schema):
    month = f.String(metadata={"description": "月份 YYYY-MM"})
    generated_at = f.DateTime()
    total = f.Integer(metadata={"description": "当月反映总数"})


class SummaryTrendOut(Schema):
    count = f.Integer(metadata={"description": "本月"})
    previous = f.Integer(metadata={"description": "上月"})
    last_year = f.Integer(metadata={"description": "去年同月"})
    mom_change = f.Integer(metadata={"description": "环比变化"})
    mom_pct = f.Float(allow_none=True, metadata={"description": "环比变化率（%），上月为 0 时为 null"})
    yoy_change = f.Integer(metadata={"description": "同比变化"})
    yoy_pct = f.Float(allow_none=True, metadata={"description": "同比变化率（%），去年同月为 0 时为 null"})
    series = f.List(f.Integer(), metadata={"description": "近 12 个月（由远及近，与 months 对应）"})


class SummaryTagOut(SummaryTrendOut):
    code = f.String()
    name = f.String()


class SummaryMoverOut(Schema):
    code = f.String()
    name = f.String()
    count = f.Integer()
    previous = f.Integer()
    mom_change = f.Integer()
    mom_pct = f.Float(allow_none=True)


class SummaryCellOut(Schema):
    key = f.String()
    label = f.String()
    count = f.Integer(allow_none=True, metadata={"description": HIDDEN_HELP})


class SummaryBreakdownsOut(Schema):
    kind = f.List(f.Nested(SummaryCellOut), metadata={"description": "按反映类型"})
    unit_level = f.List(f.Nested(SummaryCellOut), metadata={"description": "按单位层级"})
    region = f.List(f.Nested(SummaryCellOut), metadata={"description": "按县级地区（区划代码前 6 位）"})
    point = f.List(f.Nested(SummaryCellOut), metadata={"description": "按观测点"})


class SummaryTermOut(Schema):
    term = f.String()
    count = f.Integer(metadata={"description": "本月含该词的反映数"})
    previous = f.List(f.Integer(), metadata={"description": "前三个月逐月反映数（由远及近）"})
    baseline = f.Float(metadata={"description": "前三个月平均"})
    growth = f.Float(metadata={"description": "本月减前三个月平均"})


class SummaryDepartmentOut(Schema):
    department_code = f.String()
    department_name = f.String()
    assigned = f.Integer(metadata={"description": "本月交办数（不含退回的）"})
    acknowledged_on_time = f.Integer(metadata={"description": "按时签收"})
    responded = f.Integer(metadata={"description": "已反馈"})
    responded_on_time = f.Integer(metadata={"description": "按时反馈"})
    overdue = f.Integer(metadata={"description": "超期（已超期未反馈或逾期反馈）"})
    avg_response_days = f.Float(allow_none=True, metadata={"description": "平均反馈用时（工作日）"})
    rated = f.Integer(metadata={"description": "反映人已评价"})
    satisfied = f.Integer(metadata={"description": "满意或基本满意"})
    satisfaction_pct = f.Float(allow_none=True, metadata={"description": "满意率（%）"})


class SummaryExcerptOut(Schema):
    feedback_id = f.Integer(metadata={"description": "反映编号（仅组织部可见）"})
    kind = f.String()
    kind_label = f.String()
    tags = f.List(f.String())
    text = f.String(metadata={"description": "反映内容摘录（约 120 字）"})
    note = f.String(allow_none=True)


class SummaryOut(Schema):
    month = f.String()
    months = f.List(f.String(), metadata={"description": "近 12 个月的月份（由远及近）"})
    generated_at = f.DateTime()
    suppressed = f.Boolean(metadata={"description": "是否已隐藏小数（组织部以外的角色）"})
    total = f.Nested(SummaryTrendOut)
    tags = f.List(f.Nested(SummaryTagOut))
    rising = f.List(f.Nested(SummaryMoverOut), metadata={"description": "环比上升最多的标签（最多 3 个）"})
    falling = f.List(f.Nested(SummaryMoverOut), metadata={"description": "环比下降最多的标签（最多 3 个）"})
    breakdowns = f.Nested(SummaryBreakdownsOut)
    emerging_terms = f.List(
        f.Nested(SummaryTermOut), metadata={"description": "较前三个月增长最多的词语（新负担预警）"}
    )
    departments = f.List(f.Nested(SummaryDepartmentOut))
    excerpts = f.List(f.Nested(SummaryExcerptOut))
