"""The in-process rate-limit store (``memory://``), without a thread per counted request.

The limits library's ``MemoryStorage`` frees expired counters from a ``threading.Timer`` that it
starts 10 ms after any count whenever the previous timer has finished: under steady traffic a web
worker started a thread for nearly every submission (0.23 ms of CPU each, about 5 % of a
submission, issue 12). Counting itself never needed the timer: every read drops a counter whose
window has ended before answering, so the limits hold exactly as before.

``SweptMemoryStorage`` keeps that storage and its counting, and frees expired counters inline
instead, at most once every ``SWEEP_SECONDS``, in the request that counts. Defining the class
registers it for the ``memory://`` scheme (the limits library keeps one class per scheme), so
``RATELIMIT_STORAGE_URI=memory://`` and the per-process counting while Redis is down
(``feedback.rate_limits``) both use it. Redis stores are untouched.
"""

from __future__ import annotations

import threading
import time

from limits.storage import MemoryStorage

__all__ = ["SWEEP_SECONDS", "SweptMemoryStorage"]

SWEEP_SECONDS = 1.0


class SweptMemoryStorage(MemoryStorage):
    """``MemoryStorage`` whose expired counters are swept by the counting request, not a timer."""

    STORAGE_SCHEME = ["memory"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: str) -> None:
        self._sweep_lock = threading.Lock()
        self._next_sweep = 0.0
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    def _MemoryStorage__schedule_expiry(self) -> None:  # noqa: N802 - replaces the base class's private hook
        """Called by every count (``incr``/``decr``); sweeps when the last sweep is old enough."""
        moment = time.time()
        if moment < self._next_sweep or not self._sweep_lock.acquire(blocking=False):
            return
        try:
            self._next_sweep = moment + SWEEP_SECONDS
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]
        finally:
            self._sweep_lock.release()
