"""The application's notion of "now", which tests can freeze and advance.

Services ask ``now()`` instead of the system clock so deadline behaviour across
holidays and month ends can be tested without waiting for them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app


class Clock:
    def __init__(self) -> None:
        self._frozen: datetime | None = None

    def now(self) -> datetime:
        return self._frozen if self._frozen is not None else datetime.now(UTC)

    def freeze(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("freeze() needs an aware datetime")
        self._frozen = moment.astimezone(UTC)

    def advance(self, **delta: float) -> None:
        self._frozen = self.now() + timedelta(**delta)

    def unfreeze(self) -> None:
        self._frozen = None


def now() -> datetime:
    return current_app.extensions["clock"].now()
