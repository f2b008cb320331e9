"""Logs never carry what a failed statement was given, nor an id a client chose for itself.

A submission that the database refuses is made to fail for real (a trigger on the
``feedback`` table), and every captured log record is formatted with its traceback, as a
log handler would write it.
"""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import text

CONTENT = "乡镇每月要报送七张内容重复的台账表格，光复印就要花两天时间"


def _formatted(caplog) -> str:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(formatter.format(record) for record in caplog.records)


@pytest.fixture
def refusing_feedback_table(db):
    """Make every INSERT into feedback fail inside the database, with the statement's parameters."""
    dialect = db.engine.dialect.name
    with db.engine.begin() as conn:
        if dialect == "postgresql":
            conn.execute(
                text(
                    "CREATE FUNCTION refuse_feedback() RETURNS trigger AS $$ "
                    "BEGIN RAISE EXCEPTION 'refused by the test'; END $$ LANGUAGE plpgsql"
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER refuse_feedback BEFORE INSERT ON feedback "
                    "FOR EACH ROW EXECUTE FUNCTION refuse_feedback()"
                )
            )
        else:  # the trigger body names a missing table: the INSERT fails with OperationalError
            conn.execute(
                text(
                    "CREATE TRIGGER refuse_feedback BEFORE INSERT ON feedback "
                    "BEGIN INSERT INTO no_such_table VALUES (1); END"
                )
            )
    yield
    db.session.remove()
    with db.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER refuse_feedback" + (" ON feedback" if dialect == "postgresql" else "")))
        if dialect == "postgresql":
            conn.execute(text("DROP FUNCTION refuse_feedback()"))


def test_a_failed_submission_logs_no_statement_parameters(seeded, client, mp_login, caplog, refusing_feedback_table):
    headers = mp_login()
    caplog.set_level(logging.DEBUG)
    reply = client.post("/api/mp/v1/feedback", headers=headers, json={"kind": "problem", "content": CONTENT})
    assert reply.status_code == 500
    logs = _formatted(caplog)
    request_id = reply.get_json()["request_id"]
    assert f"unhandled error request_id={request_id}" in logs
    # The failure's type and place are there (the driver's own: psycopg RaiseException, sqlite3
    # OperationalError), its message and the statement's values are not.
    assert re.search(r"— [\w.]+(Error|Exception) at ", logs), logs
    assert "feedback/services/intake/submit.py" in logs
    for leak in (CONTENT, "七张", "parameters", "refused by the test", "no_such_table", "INSERT INTO"):
        assert leak not in logs, f"{leak!r} reached the logs"


def test_a_crash_logs_type_and_place_but_not_the_message(app, caplog):
    from flask import Blueprint

    boom = Blueprint("boom_text", __name__)

    @boom.route("/boom-text")
    def explode():
        raise RuntimeError("secret internals: password=hunter2")

    app.register_blueprint(boom)
    caplog.set_level(logging.DEBUG)
    reply = app.test_client().get("/boom-text")
    logs = _formatted(caplog)
    assert reply.status_code == 500 and reply.get_json()["request_id"] in logs
    assert "RuntimeError at tests/test_log_privacy.py" in logs and "in explode" in logs
    assert "hunter2" not in logs and "hunter2" not in reply.get_data(as_text=True)


def test_mini_program_requests_get_our_own_request_id(client, mp_login, caplog):
    headers = mp_login()
    caplog.set_level(logging.INFO)
    chosen = "same-id-for-everything-123"
    ids = set()
    for path, body in (
        ("/api/mp/v1/feedback/track", {"receipt": "AAAA-BBBB-CCCC-DDDD-EEEE"}),
        ("/api/mp/v1/feedback", {"kind": "problem"}),
    ):
        reply = client.post(path, headers={**headers, "X-Request-ID": chosen}, json=body)
        assert reply.headers["X-Request-ID"] != chosen
        assert reply.get_json()["request_id"] == reply.headers["X-Request-ID"]
        ids.add(reply.headers["X-Request-ID"])
    assert len(ids) == 2
    assert chosen not in _formatted(caplog)


def test_staff_requests_keep_the_request_id_of_the_proxy(client):
    reply = client.get("/api/staff/v1/auth/me", headers={"X-Request-ID": "proxy-trace-0001"})
    assert reply.headers["X-Request-ID"] == "proxy-trace-0001"
