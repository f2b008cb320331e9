"""Flask CLI commands for the burden tagger: ``flask tag`` and ``flask tag-eval``.

They use the application's own tagger (``feedback.services.tagger.get_tagger``) so that operators
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
    from feedback.services.tagger import get_tagger

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
    from feedback.services.tagger import get_tagger

    try:
        records = load_records(file)
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"无法读取标注数据：{exc}") from None
    click.echo(format_report(evaluate(get_tagger(), records)))
