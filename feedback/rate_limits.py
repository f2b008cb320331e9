"""Rate-limit keys that name no one, and counters that survive a dead Redis.

What the limiter store (memory or Redis) may hold (DESIGN §5): keys are keyed hashes under a
key derived from ``SECRET_KEY`` for the limiter alone and for one China-local day. So a key
cannot be joined with the database or the logs (neither holds a pseudonym or an address,
and the hash is not the pseudonym), and Monday's key for a person shares nothing with
Tuesday's. A limit counted "per day" therefore restarts at midnight Beijing time.

- ``person_key``: mini-program calls after login, per pseudonym (the token's keyed openid hash).
- ``client_key``: calls made before anyone is known (WeChat login, staff login), per client
  address (IPv6 per /64, what one subscriber gets). The address is never logged for
  /api/mp/* and never stored; only this hash lives in the limiter store, until its window ends.

When the store is down, Flask-Limiter switches to per-process memory counters (logged as a
warning, retried with back-off) and so do the counters below: limits keep holding, only
looser by the number of worker processes. Nothing answers 500 or 503 for it.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
from functools import lru_cache

from flask import current_app, g, request
from limits import RateLimitItem, parse_many
from limits.strategies import FixedWindowRateLimiter, RateLimiter

from feedback.errors import RateLimited
from feedback.privacy import derive_key
from feedback.rate_limit_store import SweptMemoryStorage

log = logging.getLogger("feedback.rate_limits")
_fallback: list[RateLimiter] = []


@lru_cache(maxsize=8)
def _day_key(secret: str, purpose: str, day: str) -> bytes:
    return derive_key(secret, f"rate-limit/{purpose}/{day}")


def _prefixed(key: str) -> str:
    """Our own prefix setting (Flask-Limiter's would stick to the first app of the process)."""
    prefix = current_app.config["RATE_LIMIT_KEY_PREFIX"]
    return f"{prefix}:{key}" if prefix else key


def hashed(purpose: str, value: str) -> str:
    from feedback.clock import now
    from feedback.timeutil import local_date

    key = _day_key(current_app.config["SECRET_KEY"], purpose, local_date(now()).isoformat())
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def person() -> str:
    """The cadre of this mini-program call, as the limiter store may know them (unprefixed)."""
    subject = getattr(g, "mp_pseudonym", None)
    return "p-" + hashed("person", subject) if subject else "anonymous"


def person_key() -> str:
    """Per cadre, for mini-program calls made with a token."""
    return _prefixed(person())


def client_address() -> str:
    """The client's address (after ProxyFix), IPv6 reduced to its /64."""
    raw = request.remote_addr or ""
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def client_key() -> str:
    return _prefixed("c-" + hashed("client", client_address()))


# ---------------------------------------------------------------- counters used by services


def _strategy() -> RateLimiter:
    from feedback.extensions import limiter

    return limiter.limiter  # Flask-Limiter's own fallback once it has found the store dead


def _identifiers(*parts: str) -> tuple[str, ...]:
    return (_prefixed(parts[0]), *parts[1:])


@lru_cache(maxsize=64)
def _limits(spec: str) -> list[RateLimitItem]:
    return parse_many(spec)  # a handful of configured strings, parsed once each


def _call(method: str, spec: str, *parts: str) -> list:
    ids = _identifiers(*parts)
    results = []
    for item in _limits(spec):
        try:
            results.append(getattr(_strategy(), method)(item, *ids))
        except Exception as exc:  # the store went away: keep counting in this process
            log.warning("rate limit storage unreachable (%s); counting in process memory", type(exc).__name__)
            if not _fallback:
                _fallback.append(FixedWindowRateLimiter(SweptMemoryStorage()))
            results.append(getattr(_fallback[0], method)(item, *ids))
    return results


def take(spec: str, *parts: str) -> bool:
    """Count one event if every limit of ``spec`` has room; False (nothing counted) otherwise."""
    if not allowed(spec, *parts):
        return False
    count(spec, *parts)
    return True


def allowed(spec: str, *parts: str) -> bool:
    """True while every limit of ``spec`` ("5 per 30 minutes;20 per day") has room left."""
    return all(_call("test", spec, *parts))


def count(spec: str, *parts: str) -> None:
    """Record one event against every limit of ``spec``."""
    _call("hit", spec, *parts)


def forget(spec: str, *parts: str) -> None:
    _call("clear", spec, *parts)


def refusal(spec: str, *parts: str, message: str | None = None) -> RateLimited:
    """The 429 for an exhausted ``spec``: its message (the default "操作过于频繁…" when none) and a
    Retry-After of ``seconds_until_allowed``."""
    return RateLimited(message, headers={"Retry-After": str(seconds_until_allowed(spec, *parts))})


def seconds_until_allowed(spec: str, *parts: str) -> int:
    """How long until every exhausted limit of ``spec`` resets (at least 1 second)."""
    import time

    ids = _identifiers(*parts)
    waits = [1]
    for item in _limits(spec):
        try:
            strategy = _strategy()
            if not strategy.test(item, *ids):
                waits.append(int(strategy.get_window_stats(item, *ids).reset_time - time.time()) + 1)
        except Exception:
            waits.append(item.get_expiry())
    return max(waits)
