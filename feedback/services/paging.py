"""One page of a query and the total of its rows: the one pagination of every list (API, jobs, console)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select

from feedback.extensions import db


def paginate(stmt: Select, page: int, per_page: int, *, scalars: bool = False) -> tuple[list[Any], int]:
    """Rows ``(page-1)*per_page`` onwards and the count of all rows (the count ignores ORDER BY).

    ``scalars`` answers the first column of each row, for queries of one entity.
    """
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    result = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page))
    return (list(result.scalars()) if scalars else list(result.all())), total
