"""The staff console (/console): server-rendered pages over the same services as /api/staff/v1.

The session is the staff API's own session (argon2 login, lockout, idle expiry), carried in an
HttpOnly cookie instead of an Authorization header. Every state-changing request carries a CSRF
token derived from the session token; pages forbid framing and caching and run no inline script.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates")


class _FlashCookie(SecureCookieSessionInterface):
    """Flask's signed cookie session, opened only when the request carries the cookie: the
    mini-program's calls never do, and making the signer for nothing cost each of them 30 µs."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and self.get_cookie_name(app) not in request.cookies:
            return self.session_class()  # what Flask opens for a request without the cookie
        return super().open_session(app, request)


def init_console(app: Flask) -> None:
    """Attach every page module's routes (each module of this package adds its own to ``bp``)."""
    import importlib
    import pkgutil

    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    # Flask's signed session cookie carries only one-shot messages ("已签收") to the next page.
    app.config.update(SESSION_COOKIE_NAME="tjf_console_flash", SESSION_COOKIE_SAMESITE="Lax")
    app.session_interface = _FlashCookie()
    app.config["SESSION_COOKIE_SECURE"] = app.config.get("FEEDBACK_ENV") == "production"
    app.register_blueprint(bp)
