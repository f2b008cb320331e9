"""``flask calendar``: where working days come from, and correcting provisional deadlines."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from feedback.clock import now
from feedback.extensions import db
from feedback.services.handling import provisional
from feedback.timeutil import local_date


@click.group("calendar")
def calendar_group() -> None:
    """节假日安排：查看各年数据来源；正式安排公布后校正暂定期限。"""


@calendar_group.command("status")
@with_appcontext
def status_command() -> None:
    """各年工作日的数据来源、正式安排覆盖到哪天、从哪天起新期限将为暂定；holidays.yaml 有误时指出问题。"""
    today = local_date(now())
    state = provisional.status(today)
    for year in state.years:
        click.echo(f"{year.year} 年：{year.label}")
    click.echo(f"正式节假日安排覆盖至 {state.official_until}（还有 {state.days_left} 天）")
    click.echo(
        f"最长办理期限 {state.longest_days} 个工作日：自 {state.provisional_from} 起新交办的期限为暂定"
        f"（按法定节假日计算，公布安排后由 calendar-watch 任务或 flask calendar recompute 自动校正）"
    )
    if state.file_problem:
        click.echo(f"holidays.yaml 有误，未生效（仍沿用上一次正确的数据）：{state.file_problem}", err=True)
    if state.coverage_ending:
        click.echo(
            f"提醒：正式安排将在 {provisional.COVERAGE_WARNING_DAYS} 天内用完。国务院办公厅公布次年安排后，"
            f"请升级 chinesecalendar 或填写 config/holidays.yaml（无需重启）。",
            err=True,
        )


@calendar_group.command("recompute")
@with_appcontext
def recompute_command() -> None:
    """按现有的正式节假日安排重算全部暂定期限（仅限未到期、仍在办理的交办单）；可重复执行。"""
    counts = provisional.recompute(now())
    db.session.commit()
    click.echo(
        f"检查暂定期限 {counts['checked']} 个：校正 {counts['moved']} 个，日期不变转为正式 "
        f"{counts['confirmed']} 个，仍为暂定 {counts['still_provisional']} 个"
    )
