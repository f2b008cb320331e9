"""The tagger for admins: which rules and model tag new feedback, and what triage's corrections suggest."""

from __future__ import annotations

from marshmallow import validate

from feedback.api import fields as f
from feedback.api.fields import Schema
from feedback.api.staff import blp, require_roles


class SuggestionArgs(Schema):
    min_support = f.Integer(load_default=3, validate=validate.Range(min=1, max=1000, error="支持数为 1–1000"))


class SuggestionExampleOut(Schema):
    feedback_id = f.Integer()
    excerpt = f.String(metadata={"description": "反映正文开头（约 60 字）"})


class SuggestionOut(Schema):
    action = f.String(metadata={"description": "add_term 建议加入的词 / weaken_term 建议降低权重或加限定的词"})
    tag = f.String()
    tag_name = f.String()
    term = f.String()
    support = f.Integer(metadata={"description": "支持这条建议的改标反映条数"})
    precision = f.Float(
        metadata={"description": "add_term：含该词的改标反映中最终有此标签的比例；weaken_term：该词命中后被去掉的比例"}
    )
    hint = f.String()
    examples = f.List(f.Nested(SuggestionExampleOut))


class SuggestionsOut(Schema):
    tagger_version = f.String()
    corrections = f.Integer(metadata={"description": "研判人员改过标签、正文仍在的反映条数"})
    suggestions = f.List(f.Nested(SuggestionOut))


class TaggerStatusOut(Schema):
    version = f.String(metadata={"description": "记录在每个自动标签上的标注器版本"})
    taxonomy_version = f.String()
    model = f.Dict(allow_none=True, metadata={"description": "学习层：版本、训练时间、样本数；未训练时为空"})


@blp.route("/tagger", methods=["GET"])
@require_roles("admin")
@blp.response(200, TaggerStatusOut)
def tagger_status():
    """当前标注器：标签体系版本与学习层模型版本。"""
    from feedback.services.admin.tagger import get_tagger

    tagger = get_tagger()
    model = tagger.model
    return {
        "version": tagger.version,
        "taxonomy_version": tagger.taxonomy.version,
        "model": None if model is None else {"version": model.version, **model.meta},
    }


@blp.route("/tagger/suggestions", methods=["GET"])
@require_roles("admin")
@blp.arguments(SuggestionArgs, location="query")
@blp.response(200, SuggestionsOut)
def tagger_suggestions(args):
    """根据研判人员的改标记录提出的标签体系修改建议（由运营人员决定是否写入 config/taxonomy.yaml）。"""
    from feedback.services.admin.tagger import get_tagger
    from feedback.services.admin.tagger_learning import suggestions

    return suggestions(get_tagger(), min_support=args["min_support"])
