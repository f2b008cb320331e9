"""``flask search reindex``: rebuild the full-text search index from the stored feedback.

Needed once for feedback submitted before the index existed, and after a change of the jieba
user dictionary (which changes how texts are segmented). Commits after every batch, so an
interrupted run keeps what it did and a rerun simply overwrites it.
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from feedback.extensions import db
from feedback.services.admin.search import reindex_all


@click.group("search")
def search_group() -> None:
    """全文检索索引维护。"""


@search_group.command("reindex")
@click.option("--batch", type=click.IntRange(min=1), default=500, show_default=True, help="每批处理并提交的反映条数。")
@with_appcontext
def reindex_command(batch: int) -> None:
    """重新分词并写入全部反映的检索索引（可重复执行）。"""

    def commit(done: int) -> None:
        db.session.commit()
        click.echo(f"已处理 {done} 条")

    total = reindex_all(batch, on_batch=commit)
    db.session.commit()
    click.echo(f"检索索引重建完成，共 {total} 条反映")
