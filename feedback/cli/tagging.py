"""Flask CLI commands for the burden tagger: ``flask tag``, ``flask tag-eval`` and ``flask tagger``.

They use the application's own tagger (``feedback.services.admin.tagger.get_tagger``) so that operators
test exactly the taxonomy and dictionary the running app is configured with. The lead registers
them on the app; nothing here runs at import.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from feedback.tag_eval import evaluate, format_report, load_records


@click.command("tag")
@with_appcontext
def tag_command() -> None:
    """从标准输入逐行读取文本，每行输出一条 JSON（标签、得分、命中词）。"""
    from feedback.services.admin.tagger import get_tagger

    tagger = get_tagger()
    for line in sys.stdin:
        text = line.strip()
        if not text:
            continue
        tags = [hit.to_dict() for hit in tagger.tag(text)]
        click.echo(json.dumps({"text": text, "tags": tags}, ensure_ascii=False))


@click.command("tag-eval")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def tag_eval_command(file: Path) -> None:
    """用标注数据（JSONL）评估当前标签体系的精确率、召回率和 F1。"""
    from feedback.services.admin.tagger import get_tagger

    try:
        records = load_records(file)
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"无法读取标注数据：{exc}") from None
    click.echo(format_report(evaluate(get_tagger(), records)))


@click.group("tagger")
def tagger_group() -> None:
    """减负标签的学习层：训练模型、根据研判人员的改标提出标签体系修改建议。"""


@tagger_group.command("train")
@click.option(
    "--data",
    "data_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="标注数据（JSONL，可多次指定），与研判人员的改标记录一起用于训练",
)
@click.option("--no-triage", is_flag=True, help="不使用研判人员的改标记录")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="模型文件（默认 TAGGER_MODEL_PATH）")
@click.option("--c", "c", type=float, default=None, help="正则化强度的倒数（默认 1.0）")
@click.option("--threshold", type=float, default=None, help="模型单独打标签所需的概率（默认 0.8）")
@click.option("--cv", is_flag=True, help="同时输出按来源留一交叉验证的结果")
@with_appcontext
def train_command(
    data_files: tuple[Path, ...],
    no_triage: bool,
    output: Path | None,
    c: float | None,
    threshold: float | None,
    cv: bool,
) -> None:
    """训练学习层（每个标签一个逻辑回归），写出带版本号的模型文件；之后的自动标签都记录该版本。"""
    from flask import current_app

    from feedback import tag_train
    from feedback.services.admin.tagger import get_tagger
    from feedback.tag_eval import evaluate_predictions, format_report
    from feedback.tagging import Tagger

    app_tagger = get_tagger()
    rules = Tagger(app_tagger.taxonomy, current_app.config["USERDICT_PATH"])
    examples: list[tag_train.Example] = []
    records: list[dict] = []
    try:
        for path in data_files:
            loaded = load_records(path)
            records += loaded
            examples += tag_train.examples_from_records(loaded, rules.taxonomy)
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"无法读取标注数据：{exc}") from None
    if not no_triage:
        from feedback.services.admin.tagger_learning import corrections, triage_examples

        found = corrections()
        examples += triage_examples(found)
        records += [{"text": c.text, "tags": sorted(c.final)} for c in found]
    if not examples:
        raise click.ClickException("没有可用于训练的标注数据：请用 --data 指定标注文件，或先在研判中修改标签")
    kwargs = {"c": c or tag_train.DEFAULT_C, "threshold": threshold or tag_train.DEFAULT_THRESHOLD}
    vectors = tag_train.vectorise(rules, examples)
    model = tag_train.fit(rules.taxonomy, examples, vectors, **kwargs)
    target = output or Path(current_app.config["TAGGER_MODEL_PATH"])
    model.save(target)
    origins = "，".join(f"{k} {v} 条" for k, v in model.meta["by_origin"].items())
    click.echo(
        f"已写出 {target}：版本 {model.version}，训练样本 {len(examples)} 条（{origins}），"
        f"{len(model.tags)} 个标签有学习层"
    )
    if cv:
        predicted = tag_train.cross_validate(rules, examples, k=None, vectors=vectors, **kwargs)
        click.echo("按来源留一交叉验证（规则 + 每折重新训练的学习层）：")
        click.echo(format_report(evaluate_predictions(rules.taxonomy, records, predicted)))


@tagger_group.command("suggest")
@click.option("--min-support", type=int, default=3, show_default=True, help="至少有几条反映支持一条建议")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@with_appcontext
def suggest_command(min_support: int, as_json: bool) -> None:
    """根据研判人员的改标记录，提出标签体系（config/taxonomy.yaml）的修改建议，附支持数和例子。"""
    from feedback.services.admin.tagger import get_tagger
    from feedback.services.admin.tagger_learning import suggestions

    result = suggestions(get_tagger(), min_support=min_support)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    click.echo(f"当前标注器 {result['tagger_version']}，研判人员改过标签的反映 {result['corrections']} 条。")
    if not result["suggestions"]:
        click.echo("暂无建议（支持数不足）。")
    for s in result["suggestions"]:
        click.echo(f"- [{s['tag_name']}] {s['hint']}（支持 {s['support']}，比例 {s['precision']:.0%}）")
        for example in s["examples"]:
            click.echo(f"    #{example['feedback_id']} {example['excerpt']}")
