"""工作台: where each role starts."""

from __future__ import annotations

from flask import g, render_template

from feedback.console import bp
from feedback.services.admin.staff_auth import ROLE_LABELS


@bp.route("/")
def home():
    staff = g.staff
    unit = staff.department.name if staff.department else (staff.point.name if staff.point else None)
    return render_template("console/home.html", role_label=ROLE_LABELS[staff.role], unit=unit)
