"""Which blueprints the app serves."""

from __future__ import annotations

from flask_smorest import Api


def register_blueprints(api: Api) -> None:
    from feedback.api import mp, staff

    mp.register_views()
    api.register_blueprint(mp.blp)
    staff.register_views()
    api.register_blueprint(staff.blp)
