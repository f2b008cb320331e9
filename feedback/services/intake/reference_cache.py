"""Reference data every submission reads, kept per app like the duty list (triage.suggestions).

A submission needs the active tags (to store the tagger's hits by id and answer with their names)
and the provinces this deployment serves (to check a region code). Both change only when
``flask seed`` runs: that command forgets them in its own process at once, and a seed run by
another process reaches the web workers within ``CACHE_SECONDS``. Reading them from the database
cost every submission one or two queries.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import NamedTuple, TypeVar

from flask import current_app
from sqlalchemy import func, select

from feedback.extensions import db
from feedback.models import Department, ObservationPoint, Tag
from feedback.services.triage.suggestions import CACHE_SECONDS

_CACHE = "intake_reference_cache"
T = TypeVar("T")

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


def _cached(name: str, load: Callable[[], T]) -> T:
    entries: dict[str, tuple[float, object]] = current_app.extensions.setdefault(_CACHE, {})
    entry = entries.get(name)
    moment = time.monotonic()
    if entry is not None and moment - entry[0] < CACHE_SECONDS:
        return entry[1]  # type: ignore[return-value]
    value = load()
    entries[name] = (moment, value)
    return value


def forget_reference() -> None:
    """Drop the cached tags and provinces (after the reference data changed in this process)."""
    current_app.extensions.pop(_CACHE, None)


def _read_active_tags() -> dict[str, ActiveTag]:
    rows = db.session.execute(select(Tag.code, Tag.id, Tag.name).where(Tag.active.is_(True)))
    return {code: ActiveTag(tag_id, name) for code, tag_id, name in rows}


def active_tags() -> dict[str, ActiveTag]:
    """Code -> (id, name) of every active tag."""
    return _cached("active_tags", _read_active_tags)


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
    return _cached("served_provinces", _read_served_provinces)
