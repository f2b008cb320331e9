"""Brakes on password guessing that a stranger cannot turn into a lock on someone else.

- Per (username, client): 5 failures in 30 minutes stop that client from trying that username
  for the rest of the window. This is the lockout the person typing passwords meets; someone
  elsewhere who knows the username does not lock its owner out.
- Per username, all clients together: past 20 failures in an hour, the username gets one
  attempt a minute. Guessing from many addresses is slowed to a crawl while the owner can
  still log in (a minute's wait at worst), so it is a brake, not a switch.
- Per client, all usernames together: 30 failures in an hour stop password spraying (the
  login view also allows 10 attempts a minute per client).

Counters live in the rate-limit store (``feedback.rate_limits``), keyed by hashes; they count
usernames whether or not an account exists, so locked and unknown usernames answer alike.
A username's counters are keyed with a digest of its current password hash and of the moment an
admin last unlocked it (``staff_auth.lock_epoch``), so a new password (``flask users reset-password``)
or an unlock (``flask users unlock``, the console's 解除锁定) lifts every lock on it at once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app

from feedback.errors import RateLimited, Unauthorized
from feedback.models.base import utcnow
from feedback.rate_limits import (
    allowed,
    client_address,
    count,
    forget,
    hashed,
    refusal,
    seconds_until_allowed,
    take,
)
from feedback.timeutil import CHINA


def _setting(name: str) -> str:
    return current_app.config[name]


@dataclass(frozen=True)
class Attempt:
    """Who is trying which username, as the counters know it (hashes only)."""

    username_key: str
    client_key: str

    @property
    def pair(self) -> tuple[str, str]:
        return ("staff-fail-pair", self.username_key + "/" + self.client_key)


def attempt_for(username: str, lock_epoch: str | None) -> Attempt:
    """``lock_epoch`` changes when the account's locks must lift (new password, admin unlock); None if no account."""
    epoch = hashlib.sha256(lock_epoch.encode()).hexdigest()[:12] if lock_epoch else ""
    return Attempt(
        username_key=hashed("staff-user", f"{username}\0{epoch}"), client_key=hashed("staff-client", client_address())
    )


def locked_answer(seconds: int) -> Unauthorized:
    until = (utcnow() + timedelta(seconds=seconds)).astimezone(CHINA).strftime("%H:%M")
    minutes = max(1, round(seconds / 60))
    return Unauthorized(
        f"该用户名在本设备上连续多次登录失败，请约 {minutes} 分钟后（北京时间 {until} 以后）再试，或联系管理员重置密码",
        code="account_locked",
        headers={"Retry-After": str(seconds)},
    )


def check(attempt: Attempt) -> None:
    """Refuse before any password is checked; the same answer whether the username exists or not."""
    spray = _setting("STAFF_SPRAY_LIMIT")
    if not allowed(spray, "staff-fail-client", attempt.client_key):
        raise refusal(spray, "staff-fail-client", attempt.client_key, message="本设备登录失败次数过多，请稍后再试")
    lock = _setting("STAFF_LOCK_AFTER")
    if not allowed(lock, *attempt.pair):
        raise locked_answer(seconds_until_allowed(lock, *attempt.pair))
    if not allowed(_setting("STAFF_USERNAME_BACKOFF"), "staff-fail-user", attempt.username_key):
        pace = _setting("STAFF_BACKOFF_PACE")
        if not take(pace, "staff-pace-user", attempt.username_key):
            seconds = seconds_until_allowed(pace, "staff-pace-user", attempt.username_key)
            raise RateLimited(
                f"该用户名近期登录失败较多，请 {seconds} 秒后再试",
                code="rate_limited",
                headers={"Retry-After": str(seconds)},
            )


def failed(attempt: Attempt) -> Unauthorized | None:
    """Count a failure; return the locked answer when this failure used up the client's tries."""
    lock = _setting("STAFF_LOCK_AFTER")
    count(lock, *attempt.pair)
    count(_setting("STAFF_USERNAME_BACKOFF"), "staff-fail-user", attempt.username_key)
    count(_setting("STAFF_SPRAY_LIMIT"), "staff-fail-client", attempt.client_key)
    if not allowed(lock, *attempt.pair):
        return locked_answer(seconds_until_allowed(lock, *attempt.pair))
    return None


def succeeded(attempt: Attempt) -> None:
    forget(_setting("STAFF_LOCK_AFTER"), *attempt.pair)
