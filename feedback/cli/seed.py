"""``flask seed``: load the operator-edited reference data from config/*.yaml.

One command, one commit: the service validates everything and flushes, this
command commits once or rolls back, so a bad file never half-loads.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from feedback.extensions import db
from feedback.services.admin.seed import SeedError, seed_reference_data


@click.command("seed")
@click.option(
    "--config-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="参考数据所在目录（taxonomy.yaml、departments.yaml 等），默认为 REFERENCE_DIR 设置。",
)
@with_appcontext
def seed_command(config_dir: Path | None) -> None:
    """导入标签、部门、职责清单和观测点（可重复执行，按 code 更新，移除的记录只停用不删除）。"""
    directory = config_dir or Path(current_app.config["REFERENCE_DIR"])
    try:
        report = seed_reference_data(directory)
    except SeedError as exc:
        db.session.rollback()
        click.echo(str(exc), err=True)
        raise click.exceptions.Exit(1) from None
    db.session.commit()
    click.echo(f"已导入参考数据：{directory}")
    for line in report.lines():
        click.echo(line)
