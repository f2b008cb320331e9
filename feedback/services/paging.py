"""One page of a query and the total of its rows: the one pagination of every list (API, jobs, console)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import Select, func, select

from feedback.extensions import db


def paginate(stmt: Select, page: int, per_page: int, *, scalars: bool = False) -> tuple[list[Any], int]:
    """Rows ``(page-1)*per_page`` onwards and the count of all rows (the count ignores ORDER BY).

    ``scalars`` answers the first column of each row, for queries of one entity.
    """
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    result = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page))
    return (list(result.scalars()) if scalars else list(result.all())), total


# Counting every matching row is what makes a list slow at 10^6 rows (90–99 % of a slow inbox page):
# lists count exactly up to COUNT_CAP and answer "1 万+" beyond it, unless the exact figure is asked for.
COUNT_CAP = 10_000
# A text search's matches are counted to this cap (SEARCH_COUNT_CAP in the config), then "1000+":
# each match counted is a row of the search index read, not an index entry.
SEARCH_COUNT_CAP = 1_000


@dataclass(frozen=True)
class Total:
    """How many rows a list has: exact, or "more than ``value``" when counting stopped at the cap."""

    value: int
    exact: bool = True

    @property
    def label(self) -> str:
        if self.exact:
            return str(self.value)
        return f"{self.value // 10_000} 万+" if self.value % 10_000 == 0 else f"{self.value}+"


def count_capped(stmt: Select, *, exact: bool = False, cap: int | None = None) -> Total:
    """The number of rows of ``stmt``; stops counting after the cap (``cap``, else ``LIST_COUNT_CAP``)
    unless ``exact``."""
    if cap is None:
        cap = int(current_app.config.get("LIST_COUNT_CAP", COUNT_CAP))
    inner = stmt.order_by(None)
    if exact:
        return Total(db.session.scalar(select(func.count()).select_from(inner.subquery())) or 0)
    counted = db.session.scalar(select(func.count()).select_from(inner.limit(cap + 1).subquery())) or 0
    return Total(counted) if counted <= cap else Total(cap, exact=False)
