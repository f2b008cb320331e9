"""Staff console API (/api/staff/v1): org department, departments, observation points.

Every endpoint but login needs ``Authorization: Bearer <token>``; the user lands
on ``flask.g.staff``. Roles are checked per view with ``require_roles``. Unlike
/api/mp, staff access logs may keep IP addresses.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

from flask import Response, g, request

from feedback.api.parsing import Blueprint
from feedback.errors import Forbidden, Unauthorized
from feedback.workflow import STAFF_ROLES

if TYPE_CHECKING:
    from feedback.models import StaffUser

blp = Blueprint("staff", __name__, url_prefix="/api/staff/v1", description="工作人员控制台接口")

PUBLIC_ENDPOINTS = {"staff.login"}
# Route patterns for ids: a larger value would overflow the column, so routing answers a plain 404.
ID = "<int(max=9223372036854775807):{}>"  # BIGINT ids (feedback, assignments, reports, outbox…)
INT_ID = "<int(max=2147483647):{}>"  # INTEGER ids (consultations)
F = TypeVar("F", bound=Callable[..., Any])


def bearer_token() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("请先登录（缺少 Authorization: Bearer 令牌）", code="missing_token")
    return token.strip()


@blp.before_request
def require_staff() -> None:
    """Authenticate before any view runs. A slid idle deadline is only flushed here: a writing view
    commits it with its own work, ``commit_idle_slide`` commits it after a read (one commit a request)."""
    from feedback.services.admin.staff_auth import authenticate

    if request.endpoint in PUBLIC_ENDPOINTS or request.method == "OPTIONS":
        return
    token = bearer_token()
    g.staff = authenticate(token)
    g.staff_token = token


@blp.after_request
def commit_idle_slide(response: Response) -> Response:
    """A request that did not commit (a read) commits the slide now; a failed one leaves it to the next."""
    from feedback.extensions import db
    from feedback.services.admin.staff_auth import slide_left_uncommitted

    if slide_left_uncommitted() and response.status_code < 400:
        db.session.commit()
    return response


def current_staff() -> StaffUser:
    """The authenticated user of this request (only on non-public staff endpoints)."""
    staff = g.get("staff")
    if staff is None:
        raise Unauthorized("请先登录", code="missing_token")
    return staff


def require_roles(*roles: str) -> Callable[[F], F]:
    """Allow only the named roles; admin is not implied, name it when it should pass.

    Put it right under ``@blp.route`` so the role is checked before the body is parsed.
    """
    unknown = set(roles) - set(STAFF_ROLES)
    if not roles or unknown:
        raise ValueError(f"unknown staff roles: {sorted(unknown) or 'none given'}")

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if current_staff().role not in roles:
                raise Forbidden("您的账号角色无权进行此操作")
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def register_views() -> None:
    """Import the view modules so their routes attach to ``blp`` (once)."""
    from feedback.api.staff import (  # noqa: F401
        assignments,
        auth,
        consultations,
        dashboard,
        feedback,
        jobs,
        ledger,
        summaries,
        supervision,
        tagger,
        uploads,
    )
