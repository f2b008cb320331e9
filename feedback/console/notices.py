"""我的通知: every staff user's notices in the console, so nothing depends on e-mail or a robot.

The header of every page shows the unread count (``unread_notice_count``, one COUNT query, only
when a logged-in page asks for it).
"""

from __future__ import annotations

from flask import g, render_template, request, url_for

from feedback.console import bp, pages
from feedback.services.notices import inbox


@bp.app_context_processor
def notice_count() -> dict:
    def unread_notice_count() -> int:
        return inbox.unread_count(g.staff) if g.get("staff") else 0

    return {"unread_notice_count": unread_notice_count}


@bp.route("/notices")
def notices():
    paging = pages.paging()
    unread_only = request.args.get("show") == "unread"
    items, total = inbox.list_notices(g.staff, unread_only, paging.page, paging.per_page)
    return render_template(
        "console/notices.html",
        items=items,
        total=total,
        paging=paging,
        unread_only=unread_only,
        unread=inbox.unread_count(g.staff),
    )


def _back() -> str:
    """Back to the list as it was (filter and page kept), never to another site."""
    args = {k: v for k, v in request.form.items() if k in ("show", "page", "per_page") and v}
    return url_for("console.notices", **args)


@bp.route("/notices/<int:outbox_id>/read", methods=["POST"])
def notice_read(outbox_id: int):
    return pages.act(lambda: inbox.mark_read(g.staff, outbox_id), "已标为已读", _back())


@bp.route("/notices/read-all", methods=["POST"])
def notices_read_all():
    return pages.act(lambda: inbox.mark_all_read(g.staff), "已全部标为已读", _back())
