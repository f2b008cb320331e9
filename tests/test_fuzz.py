"""A short fuzzing run in the normal suite: generated requests for each audience, on the suite's own
database, must never get a 5xx nor an error outside the documented shape. ``make fuzz`` runs the
long version (2,000 cases per audience on SQLite and PostgreSQL).
"""

from __future__ import annotations

import os

from tests.support.fuzz import FUZZ_CONFIG, fuzz_app, shape_problem

CASES = int(os.environ.get("FUZZ_CI_CASES", "100"))


def test_shape_check_tells_the_documented_shape_from_anything_else():
    good = b'{"code":"not_found","message":"\xe6\x9c\xaa\xe6\x89\xbe\xe5\x88\xb0","request_id":"abc"}'
    assert shape_problem("application/json", good) is None
    assert shape_problem("text/html", b"<h1>Bad Request</h1>") == "content type 'text/html'"
    assert shape_problem("application/json", b'{"message":"x","code":"y"}') == "keys ['code', 'message']"
    assert shape_problem("application/json", b'{"code":"y","message":"x","request_id":"r","detail":1}')
    assert shape_problem("application/json", b'{"code":"y","message":"x","request_id":null}')


def test_generated_requests_get_no_server_error_and_only_the_error_shape(app, fake_wechat):
    app.config.update(FUZZ_CONFIG)
    report = fuzz_app(app, fake_wechat, CASES)
    assert all(report.cases[audience] >= CASES for audience in ("mp", "triage", "handler")), report.cases
    assert not report.server_errors and not report.shape_violations, report.summary()
