"""基础数据 (admin): departments, the duty list, observation points and tags as loaded, and how to change them.

Read-only on purpose: the reference data lives in config/*.yaml under version control and is
loaded with ``flask seed`` (validated as a whole, one commit), so the page says which file to edit.
"""

from __future__ import annotations

from flask import g, render_template

from feedback.console import bp
from feedback.errors import Forbidden
from feedback.services.admin import reference_views


@bp.route("/reference")
def reference():
    if g.staff.role != "admin":
        raise Forbidden("只有系统管理员可以查看基础数据")
    return render_template(
        "console/reference.html",
        departments=reference_views.departments(),
        responsibilities=reference_views.responsibilities(),
        points=reference_views.points(),
        tags=reference_views.tags(),
        level_labels=reference_views.DEPARTMENT_LEVEL_LABELS,
        point_type_labels=reference_views.POINT_TYPE_LABELS,
    )
