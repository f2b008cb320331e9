"""Operator commands (``flask seed``, ``flask tag`` …)."""

from __future__ import annotations

from flask import Flask


def register_cli(app: Flask) -> None:
    from feedback.cli.calendar import calendar_group
    from feedback.cli.jobs import jobs_group
    from feedback.cli.search import search_group
    from feedback.cli.seed import seed_command
    from feedback.cli.summaries import summaries_group
    from feedback.cli.tagging import tag_command, tag_eval_command, tagger_group
    from feedback.cli.users import users_group

    for command in (
        seed_command,
        tag_command,
        tag_eval_command,
        tagger_group,
        users_group,
        search_group,
        jobs_group,
        calendar_group,
        summaries_group,
    ):
        app.cli.add_command(command)
