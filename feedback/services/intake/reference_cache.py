"""Reference data every submission reads, kept per app (services.app_cache) like the duty list.

A submission needs the active tags (to store the tagger's hits by id and answer with their names)
and the provinces this deployment serves (to check a region code). Reading them from the database
cost every submission one or two queries.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import func, select

from feedback.extensions import db
from feedback.models import Department, ObservationPoint, Tag
from feedback.services.app_cache import cached

# GB/T 2260 provinces, for a deployment whose reference data names no region at all.
GB_PROVINCES = frozenset(
    {
        *("11", "12", "13", "14", "15"),
        *("21", "22", "23"),
        *("31", "32", "33", "34", "35", "36", "37"),
        *("41", "42", "43", "44", "45", "46"),
        *("50", "51", "52", "53", "54"),
        *("61", "62", "63", "64", "65"),
        *("71", "81", "82"),
    }
)


class ActiveTag(NamedTuple):
    id: int
    name: str


def _read_active_tags() -> dict[str, ActiveTag]:
    rows = db.session.execute(select(Tag.code, Tag.id, Tag.name).where(Tag.active.is_(True)))
    return {code: ActiveTag(tag_id, name) for code, tag_id, name in rows}


def active_tags() -> dict[str, ActiveTag]:
    """Code -> (id, name) of every active tag."""
    return cached("active_tags", _read_active_tags)


def _read_served_provinces() -> frozenset[str]:
    codes: set[str] = set()
    for model in (Department, ObservationPoint):
        codes |= set(
            db.session.scalars(
                select(func.substr(model.region_code, 1, 2))
                .where(model.active.is_(True), model.region_code.is_not(None))
                .distinct()
            )
        )
    return frozenset(codes) or GB_PROVINCES


def served_provinces() -> frozenset[str]:
    """Provinces (first two digits) of the active departments and points this deployment serves."""
    return cached("served_provinces", _read_served_provinces)
