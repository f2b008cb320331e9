"""The staff console (/console): server-rendered pages over the same services as /api/staff/v1.

The session is the staff API's own session (argon2 login, lockout, idle expiry), carried in an
HttpOnly cookie instead of an Authorization header. Every state-changing request carries a CSRF
token derived from the session token; pages forbid framing and caching and run no inline script.
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates")


def init_console(app: Flask) -> None:
    from feedback.console import auth_views, home, security, system  # noqa: F401  (routes attach to bp)

    app.register_blueprint(bp)
