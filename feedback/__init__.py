"""谈减负 feedback backend: the application factory.

Nothing runs at import time. ``create_app`` reads settings, attaches the
extensions and blueprints, and returns the app; it never touches the schema and
never starts the scheduler.
"""

from __future__ import annotations

from typing import Any

import click
from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    from config.settings import PROJECT_DIR, load_settings
    from feedback.api.http_limits import init_http_limits
    from feedback.api.openapi import FeedbackApi, docs_headers
    from feedback.api.parsing import JsonProvider, refuse_unsafe_path_values
    from feedback.api.registry import register_blueprints
    from feedback.cli import register_cli
    from feedback.clock import Clock
    from feedback.console import init_console
    from feedback.errors import register_error_handlers
    from feedback.extensions import init_database, init_migrations, limiter
    from feedback.request_log import init_request_logging

    app = Flask(__name__, instance_path=str(PROJECT_DIR / "instance"))
    app.json = JsonProvider(app)
    app.config.update(load_settings(config))
    if app.config["PROXY_COUNT"] > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Rate limits per client need the client's address, not the proxy's.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_COUNT"])  # type: ignore[method-assign]
    app.json.ensure_ascii = False

    app.extensions["clock"] = Clock()
    init_database(app)
    if app.config.get("TESTING") or click.get_current_context(silent=True) is not None:
        init_migrations(app)  # the `flask` command line and the tests; never a web worker
    limiter.init_app(app)
    api = FeedbackApi(app)
    app.extensions["feedback_api"] = api
    register_blueprints(api)
    app.after_request(docs_headers)
    register_error_handlers(app)
    refuse_unsafe_path_values(app)
    init_request_logging(app)
    init_http_limits(app)
    init_console(app)
    register_cli(app)
    return app
