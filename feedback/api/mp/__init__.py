"""Mini-program API (/api/mp/v1): cadres, anonymously."""

from __future__ import annotations

from flask import g, request

from feedback.api.parsing import Blueprint
from feedback.errors import Unauthorized

blp = Blueprint("mp", __name__, url_prefix="/api/mp/v1", description="小程序接口（基层干部，匿名）")

PUBLIC_ENDPOINTS = {"mp.session"}


@blp.before_request
def require_token() -> None:
    """Every mini-program call but login carries a token; it yields a pseudonym and nothing else."""
    from feedback.services.intake.session import verify

    if request.endpoint in PUBLIC_ENDPOINTS or request.method == "OPTIONS":
        return
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("请先登录（缺少 Authorization: Bearer 令牌）", code="missing_token")
    g.mp_pseudonym = verify(token.strip())


def register_views() -> None:
    """Import the view modules so their routes attach to ``blp`` (once)."""
    from feedback.api.mp import feedback, reporter, session, uploads  # noqa: F401
