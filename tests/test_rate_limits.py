"""Rate limits that strangers cannot turn against everyone, and keys that name no one.

Limits are made small through settings so a flood is a few dozen requests. Tests marked
"redis" run against the real Redis on 127.0.0.1:6379 (TEST_REDIS_URL), under a key prefix
unique to the test, and delete their keys afterwards.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import threading
import uuid
from datetime import UTC, datetime

import pytest
import redis

from feedback import create_app
from feedback.extensions import db as _db
from feedback.extensions import limiter
from feedback.privacy import derive_key, pseudonym
from feedback.rate_limit_store import SweptMemoryStorage
from feedback.services.keys import purpose_key
from tests.conftest import _config

SESSION = "/api/mp/v1/session"
SUBMIT = "/api/mp/v1/feedback"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
CONTENT = "街道每周被要求上报三次同样的安全生产台账，内容完全重复"


@pytest.fixture
def other_app(app, fake_wechat, tmp_path):
    """Another app on the same database (another web host); its connections are closed afterwards."""
    made = []

    def make(**overrides):
        config = _config(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, fake_wechat)
        made.append(create_app({**config, **overrides}))
        return made[-1]

    yield make
    for other in made:
        with other.app_context():
            _db.session.remove()
            _db.engine.dispose()


def from_addr(addr: str) -> dict[str, str]:
    return {"REMOTE_ADDR": addr}


def test_a_login_flood_from_one_client_leaves_everyone_else_able_to_log_in(app, client, fake_wechat):
    app.config.update(RATE_LIMIT_LOGIN_PER_CLIENT="5 per minute", RATE_LIMIT_LOGIN="40 per minute")
    flood = [
        client.post(SESSION, json={"code": f"garbage-{i}"}, environ_base=from_addr("198.51.100.7")).status_code
        for i in range(60)
    ]
    assert flood[:5] == [401] * 5 and set(flood[5:]) == {429}
    real = client.post(
        SESSION, json={"code": fake_wechat.issue_code("o-real-cadre")}, environ_base=from_addr("203.0.113.20")
    )
    assert real.status_code == 200, real.get_json()


def test_the_whole_service_keeps_a_ceiling_for_wechat(app, client, fake_wechat):
    app.config.update(RATE_LIMIT_LOGIN_PER_CLIENT="5 per minute", RATE_LIMIT_LOGIN="8 per minute")
    for i in range(8):
        code = fake_wechat.issue_code(f"o-{i}")
        assert client.post(SESSION, json={"code": code}, environ_base=from_addr(f"192.0.2.{i + 1}")).status_code == 200
    late = client.post(SESSION, json={"code": fake_wechat.issue_code("o-late")}, environ_base=from_addr("192.0.2.99"))
    assert late.status_code == 429 and late.get_json()["code"] == "rate_limited"


def test_ipv6_clients_count_per_64_and_proxies_are_trusted_only_when_configured(app, client, other_app):
    app.config.update(RATE_LIMIT_LOGIN_PER_CLIENT="2 per minute")
    same_64 = ["2001:db8:1:2::1", "2001:db8:1:2:ffff::9"]
    statuses = [client.post(SESSION, json={"code": "x"}, environ_base=from_addr(a)).status_code for a in same_64]
    assert statuses == [401] * 2
    assert client.post(SESSION, json={"code": "x"}, environ_base=from_addr("2001:db8:1:2::77")).status_code == 429
    assert client.post(SESSION, json={"code": "x"}, environ_base=from_addr("2001:db8:1:3::1")).status_code == 401

    # Behind one proxy, X-Forwarded-For names the client; without PROXY_COUNT it is ignored.
    proxied = other_app(PROXY_COUNT=1, RATE_LIMIT_LOGIN_PER_CLIENT="1 per minute").test_client()
    behind = from_addr("10.0.0.1")
    assert (
        proxied.post(
            SESSION, json={"code": "x"}, environ_base=behind, headers={"X-Forwarded-For": "198.51.100.1"}
        ).status_code
        == 401
    )
    assert (
        proxied.post(
            SESSION, json={"code": "x"}, environ_base=behind, headers={"X-Forwarded-For": "198.51.100.2"}
        ).status_code
        == 401
    )


def _submit(client, headers, content=CONTENT):
    return client.post(SUBMIT, headers=headers, json={"kind": "problem", "content": content})


def test_only_accepted_submissions_count_against_the_limit(seeded, client, mp_login):
    headers = mp_login()
    for _ in range(5):
        assert _submit(client, headers, content="太短").status_code == 422
    assert [_submit(client, headers).status_code for _ in range(6)] == [201] * 5 + [429]


def test_counting_in_process_memory_starts_no_thread_per_request(seeded, client, mp_login):
    """memory:// counts as before (5 accepted, then 429) without a timer thread per counted request."""
    assert isinstance(limiter.storage, SweptMemoryStorage)
    headers = mp_login()
    before = set(threading.enumerate())
    started = set()
    for _ in range(6):
        status = _submit(client, headers).status_code
        started |= set(threading.enumerate()) - before
    assert status == 429
    # Only threads started by the requests count: one an earlier test left may end meanwhile.
    assert not started, started


def test_counters_of_ended_windows_are_freed_by_a_later_count():
    store = SweptMemoryStorage()
    store.incr("old", expiry=60)
    store.expirations["old"] = 0.0  # its window ended long ago
    store._next_sweep = 0.0  # and no sweep has run since
    store.incr("new", expiry=60)
    assert dict(store.storage) == {"new": 1}


def test_every_attempt_still_counts_against_a_wider_limit(seeded, app, client, mp_login):
    app.config["RATE_LIMIT_SUBMIT_ATTEMPTS"] = "4 per minute"
    headers = mp_login()
    assert [_submit(client, headers, content="太短").status_code for _ in range(5)] == [422] * 4 + [429]


# ---------------------------------------------------------------- the real Redis


@pytest.fixture
def redis_prefix():
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    yield prefix
    store = redis.Redis.from_url(REDIS_URL)
    for key in store.scan_iter(match=f"*{prefix}*"):
        store.delete(key)
    store.close()


def _redis_app(other_app, prefix, uri=REDIS_URL, **extra):
    return other_app(RATELIMIT_STORAGE_URI=uri, RATE_LIMIT_KEY_PREFIX=prefix, **extra)


def _keys(prefix: str) -> list[str]:
    store = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        return sorted(store.scan_iter(match=f"*{prefix}*"))
    finally:
        store.close()


def test_limits_live_in_redis_and_hold_across_web_hosts(seeded, other_app, redis_prefix):
    first_host = _redis_app(other_app, redis_prefix, RATE_LIMIT_LOGIN_PER_CLIENT="3 per minute")
    client = first_host.test_client()
    assert [client.post(SESSION, json={"code": "x"}).status_code for _ in range(2)] == [401, 401]
    assert _keys(redis_prefix)  # the counters are in Redis, not in this process
    # A second host (a new app, a new connection) sees the same counters.
    second_host = _redis_app(other_app, redis_prefix, RATE_LIMIT_LOGIN_PER_CLIENT="3 per minute")
    other = second_host.test_client()
    assert [other.post(SESSION, json={"code": "x"}).status_code for _ in range(2)] == [401, 429]


def test_redis_keys_cannot_be_joined_with_the_database_and_change_daily(seeded, fake_wechat, other_app, redis_prefix):
    host = _redis_app(other_app, redis_prefix)
    clock = host.extensions["clock"]
    clock.freeze(datetime(2026, 12, 7, 2, 0, tzinfo=UTC))
    client = host.test_client()
    openid, addr = "o-keys-test-openid", "198.51.100.44"
    with host.app_context():
        person = pseudonym(purpose_key("pseudonym"), openid)
    token = client.post(
        SESSION, json={"code": fake_wechat.issue_code(openid)}, environ_base=from_addr(addr)
    ).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert _submit(client, headers).status_code == 201
    monday = _keys(redis_prefix)
    clock.advance(days=1)
    assert _submit(client, headers).status_code == 201
    tuesday = [k for k in _keys(redis_prefix) if k not in monday]

    everything = "\n".join(monday + tuesday)
    for secret in (person, person[:16], openid, addr):
        assert secret not in everything
    expected = hmac.new(
        derive_key(host.config["SECRET_KEY"], "rate-limit/person/2026-12-07"), person.encode(), hashlib.sha256
    ).hexdigest()[:32]
    assert any(f"/p-{expected}/" in k for k in monday), monday  # the submission's counters
    assert tuesday and all(f"p-{expected}" not in k for k in tuesday)


def test_with_redis_down_limits_still_hold_in_memory_and_nothing_fails(
    seeded, fake_wechat, other_app, caplog, redis_prefix
):
    caplog.set_level(logging.WARNING)
    host = _redis_app(other_app, redis_prefix, uri="redis://127.0.0.1:1/0", RATE_LIMIT_LOGIN_PER_CLIENT="3 per minute")
    try:
        client = host.test_client()
        statuses = [client.post(SESSION, json={"code": "x"}).status_code for _ in range(4)]
        assert statuses == [401, 401, 401, 429]
        ok = client.post(SESSION, json={"code": fake_wechat.issue_code("o-x")}, environ_base=from_addr("192.0.2.5"))
        assert ok.status_code == 200
        assert "falling back to in-memory storage" in caplog.text
    finally:
        limiter._storage_dead = False  # the limiter object is process-wide; later tests use memory://


def test_the_redis_deadline_is_short(other_app):
    """A Redis that hangs costs a request half a second, not a worker."""
    options = other_app().config["RATELIMIT_STORAGE_OPTIONS"]
    assert options["socket_timeout"] <= 1 and options["socket_connect_timeout"] <= 1
