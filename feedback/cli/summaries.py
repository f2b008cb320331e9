"""``flask summaries``: the work of the monthly summary too long for a request.

- ``terms``: cut the keywords of feedback that have none stored (submitted before the table existed),
  or of every feedback with ``--rebuild`` after a change of the jieba user dictionary.
- ``facts``: build the monthly facts a summary reads (the 12 months before it) where missing, or
  refresh the given months; ``generate`` in a request only says which months are missing.

Both commit as they go, so an interrupted run keeps what it did and a rerun continues.
"""

from __future__ import annotations

from datetime import date

import click
from flask.cli import with_appcontext

from feedback.extensions import db
from feedback.services.reporting import summaries, terms
from feedback.services.reporting.monthly_facts import current_month, label, parse_month, refresh_month, shift


@click.group("summaries")
def summaries_group() -> None:
    """月度分析的统计数据维护。"""


@summaries_group.command("terms")
@click.option("--rebuild", is_flag=True, help="删除后重新提取全部反映的关键词（更换分词词典后使用）。")
@click.option("--since", help="只处理该月（YYYY-MM）及以后提交的反映，例如先补齐近 13 个月。")
@click.option("--batch", type=click.IntRange(min=1), default=1000, show_default=True, help="每批处理并提交的反映条数。")
@with_appcontext
def terms_command(rebuild: bool, since: str | None, batch: int) -> None:
    """提取尚无关键词的反映的关键词（可重复执行）。"""
    first = _month(since) if since else None
    total = terms.backfill(
        since=first, rebuild=rebuild, batch=batch, on_batch=lambda done: click.echo(f"已处理 {done} 条")
    )
    click.echo(f"关键词提取完成，共处理 {total} 条反映")


@summaries_group.command("facts")
@click.option("--for", "for_month", help="要生成分析的月份（YYYY-MM），补齐其此前 12 个月的统计数据；默认上月。")
@click.option("--month", "months", multiple=True, help="重新统计的月份（YYYY-MM，可多次给出）。")
@with_appcontext
def facts_command(for_month: str | None, months: tuple[str, ...]) -> None:
    """补齐月度分析所需的此前 12 个月的统计数据（可重复执行），或重新统计指定月份。"""
    if months:
        for text in months:
            month = _month(text)
            refresh_month(month)
            db.session.commit()
            click.echo(f"{label(month)} 已重新统计")
        return
    target = _month(for_month) if for_month else shift(current_month(), -1)
    for month in summaries.missing_months(target):
        refresh_month(month)
        db.session.commit()
        click.echo(f"{label(month)} 已统计")
    click.echo(f"{label(target)} 的月度分析所需的统计数据已齐全")


def _month(text: str) -> date:
    try:
        return parse_month(text)
    except ValueError:
        raise click.BadParameter(f"月份应为 YYYY-MM 格式，收到 {text!r}") from None
