"""The notification outbox and its sender, against a real SMTP server and a real group robot on loopback.

Notices are queued with ``notifications.enqueue`` (as the deadline watch and the other jobs do)
and delivered by the ``outbox-sender`` job through the job runner, on a frozen clock that the
tests advance through the back-off. The last tests start real ``flask … jobs run-once``
processes against the test database and count what the SMTP server received.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from feedback.jobs.runner import run_job
from feedback.models import Department, JobRun, OutboxMessage
from feedback.services.notices import delivery as outbox
from feedback.services.notices.queue import enqueue
from tests.support.fake_robot import FakeRobot
from tests.support.fake_smtp import FakeSmtp
from tests.support.processes import PROJECT, run_processes
from tests.support.routing import WB_MAIL, write_routing

STAFF = "/api/staff/v1"
T0 = datetime(2026, 10, 13, 1, 5, tzinfo=UTC)  # Tuesday 09:05 China time
NOTHING = dict.fromkeys(("recovered", "claimed", "sent", "retry", "dead", "released", "dead_total"), 0)


@pytest.fixture(scope="session")
def fake_smtp():
    server = FakeSmtp().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def fake_robot():
    robot = FakeRobot().start()
    yield robot
    robot.stop()


@pytest.fixture
def delivery(app, seeded, fake_smtp, fake_robot, tmp_path):
    """Routing to the loopback servers, a frozen clock, and both servers emptied."""
    fake_smtp.clear()
    fake_smtp.delay = 0.0
    fake_robot.reset()
    app.config.update(
        NOTIFICATIONS_PATH=str(write_routing(tmp_path / "notifications.yaml", fake_robot.url)),
        SMTP_HOST=fake_smtp.host,
        SMTP_PORT=fake_smtp.port,
        SMTP_FROM="jianfu-notice@example.org",
        SMTP_TIMEOUT_SECONDS=5,
        WEBHOOK_TIMEOUT_SECONDS=5,
    )
    app.extensions["clock"].freeze(T0)
    return app.extensions["clock"]


def dept_id(db, code: str) -> int:
    return db.session.scalar(select(Department.id).where(Department.code == code))


def queue(
    db,
    key: str,
    *,
    kind: str = "due_soon",
    dept: str | None = "city-wb",
    subject: str = "【临期提醒】测试通知",
    body: str = "市委办公室：第 1 号反映的交办单办理期限为 2026-10-15。",
) -> OutboxMessage | None:
    message = enqueue(
        kind=kind,
        dedupe_key=key,
        subject=subject,
        body=body,
        department_id=dept_id(db, dept) if dept else None,
        payload={"test": key},
    )
    db.session.commit()
    return message


def send() -> JobRun:
    run = run_job("outbox-sender")
    assert run.outcome == "success", run.error
    return run


def message(db, key: str) -> OutboxMessage:
    db.session.expire_all()
    return db.session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == key))


# ------------------------------------------------------------------------------------------ enqueue


def test_enqueue_routes_by_department_and_kind_and_queues_a_key_once(db, delivery):
    mail = queue(db, "k:mail")
    assert (mail.channel, mail.recipient, mail.status) == ("email", WB_MAIL, "pending")
    duban = queue(db, "k:duban", kind="duban", dept=None)
    assert (duban.channel, duban.recipient) == ("webhook", "zzb-robot")  # a name, never the keyed URL
    assert queue(db, "k:log", dept="city-jy").channel == "log"  # unlisted department: the default
    assert queue(db, "k:org", dept="city-zzb").recipient == "zzb-robot"  # an org department: the org route
    assert queue(db, "k:mail", subject="又一次") is None
    assert db.session.query(OutboxMessage).filter_by(dedupe_key="k:mail").one().subject == "【临期提醒】测试通知"

    enqueue(kind="due_soon", dedupe_key="k:rolled-back", subject="s", body="b")
    db.session.rollback()  # the change it belonged to failed: no notice either
    assert message(db, "k:rolled-back") is None


# ------------------------------------------------------------------------------------------ sending


def test_sender_delivers_through_smtp_robot_and_log_exactly_once(db, delivery, fake_smtp, fake_robot):
    queue(db, "k:mail", subject="【临期提醒】第 7 号反映的交办单将于 2026-10-15 到期")
    queue(db, "k:robot", kind="duban", dept=None, subject="【督办】市委办公室交办单超期", body="已列入督办。")
    queue(db, "k:log", dept="city-jy")

    assert send().counts == NOTHING | {"claimed": 3, "sent": 3}

    (mail,) = fake_smtp.received()
    assert mail["To"] == WB_MAIL and mail["From"] == "jianfu-notice@example.org"
    assert mail["Subject"] == "【临期提醒】第 7 号反映的交办单将于 2026-10-15 到期"
    assert "2026-10-15" in mail.get_content()
    assert mail["Message-ID"] == f"<outbox-{message(db, 'k:mail').id}@example.org>"
    assert fake_robot.delivered == ["【督办】市委办公室交办单超期\n已列入督办。"]
    for key in ("k:mail", "k:robot", "k:log"):
        sent = message(db, key)
        assert (sent.status, sent.attempts, sent.sent_at, sent.last_error) == ("sent", 1, T0, None)

    delivery.advance(hours=1)
    assert send().counts["claimed"] == 0
    assert len(fake_smtp.received()) == 1 and len(fake_robot.delivered) == 1


def test_a_robot_that_fails_twice_is_retried_with_back_off_and_delivered_on_the_third_attempt(db, delivery, fake_robot):
    queue(db, "k:busy", kind="duban", dept=None)
    fake_robot.fail_next(2)

    assert send().counts["retry"] == 1
    first = message(db, "k:busy")
    assert (first.status, first.attempts, first.next_attempt_at) == ("pending", 1, T0 + timedelta(minutes=1))
    assert first.last_error == "Webhook 返回错误 errcode=-1 system busy"
    assert send().counts["claimed"] == 0  # not due before its back-off has passed

    delivery.advance(minutes=1)
    assert send().counts["retry"] == 1
    assert message(db, "k:busy").next_attempt_at == T0 + timedelta(minutes=6)
    delivery.advance(minutes=4)
    assert send().counts["claimed"] == 0

    delivery.advance(minutes=1)
    assert send().counts["sent"] == 1
    done = message(db, "k:busy")
    assert (done.status, done.attempts, done.sent_at) == ("sent", 3, T0 + timedelta(minutes=6))
    assert fake_robot.requests == 3 and len(fake_robot.delivered) == 1


def test_an_always_failing_robot_ends_dead_listed_for_admins_who_can_retry_it(
    db, client, runner, delivery, fake_robot, staff_login
):
    queue(db, "k:dead", kind="tongbao", dept=None)
    fake_robot.fail_always(status=502)
    waits = []
    for _attempt in range(6):
        assert send().counts["claimed"] == 1
        row = message(db, "k:dead")
        if row.status == "pending":
            waits.append(row.next_attempt_at - delivery.now())
            delivery.advance(seconds=(row.next_attempt_at - delivery.now()).total_seconds())
    assert waits == [timedelta(minutes=m) for m in (1, 5, 30, 120, 720)]
    dead = message(db, "k:dead")
    assert (dead.status, dead.attempts, dead.last_error) == ("dead", 6, "Webhook 返回 HTTP 502")
    delivery.advance(days=1)
    assert send().counts == NOTHING | {"dead_total": 1}  # dead stays dead: not retried for ever, but counted
    assert "dead_total=1" in runner.invoke(args=["jobs", "list"]).output

    admin = staff_login("admin")
    listed = client.get(f"{STAFF}/outbox?status=dead", headers=admin).get_json()
    assert [(m["id"], m["status"], m["recipient"]) for m in listed["items"]] == [(dead.id, "dead", "zzb-robot")]
    assert "key" not in str(listed)  # the robot's key never leaves the configuration
    assert client.get(f"{STAFF}/outbox", headers=staff_login("triage")).status_code == 403

    fake_robot.reset()  # the operator fixed the robot
    retried = client.post(f"{STAFF}/outbox/{dead.id}/retry", headers=admin)
    assert retried.status_code == 200 and retried.get_json()["status"] == "pending"
    assert send().counts["sent"] == 1 and len(fake_robot.delivered) == 1
    assert client.post(f"{STAFF}/outbox/{dead.id}/retry", headers=admin).get_json()["code"] == "outbox_not_dead"


def test_a_long_notice_is_cut_to_what_the_robot_accepts(db, delivery, fake_robot):
    queue(db, "k:long", kind="duban", dept=None, subject="【督办】很长的通知", body="超期。" * 1000)
    assert send().counts["sent"] == 1
    (content,) = fake_robot.delivered
    assert content.startswith("【督办】很长的通知\n超期。") and content.endswith("…")
    assert len(content.encode("utf-8")) <= 2048


def test_the_shipped_routing_file_is_a_valid_sample_that_contacts_nobody_real():
    import yaml

    from feedback.services.notices.recipients import parse_recipient_rules

    path = PROJECT / "config" / "notifications.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    routing = parse_recipient_rules(data, str(path))
    assert data["sample"] is True and routing.default.channel == "log"
    assert {r.target.rpartition("@")[2] for r in routing.departments.values() if r.channel == "email"} == {
        "example.org"
    }
    urls = [spec["url"] for spec in routing.webhooks.values() if "url" in spec]
    assert urls and all(url.startswith("http://127.0.0.1:") for url in urls)


def test_action_notices_reach_the_department_mailbox_and_the_org_robot_with_their_console_links(
    app, db, delivery, fake_smtp, fake_robot
):
    """A new assignment and a return, taken through the services, delivered by the sender job."""
    from feedback.models import Assignment
    from feedback.services.handling.actors import Actor
    from feedback.services.handling.assignments import return_assignment
    from feedback.services.intake.reporter import feedback_by_receipt
    from feedback.services.intake.submit import submit_feedback
    from tests.support.api import MEETING, route

    app.config["CONSOLE_BASE_URL"] = "https://jianfu.example.gov.cn"
    body, _ = submit_feedback("outbox-test", {"kind": "problem", "content": MEETING})
    db.session.commit()
    fid = feedback_by_receipt(body["receipt"]).id
    (aid,) = route(db, fid, "city-wb")
    assignment = db.session.get(Assignment, aid)
    return_assignment(Actor("staff", "handler", None, assignment.department_id), assignment, "不属于本部门职责")
    db.session.commit()

    assert send().counts == NOTHING | {"claimed": 2, "sent": 2}
    (mail,) = fake_smtp.received()
    assert mail["To"] == WB_MAIL and mail["Subject"] == f"【新交办】第 {fid} 号反映交由贵单位主办"
    assert f"https://jianfu.example.gov.cn/console/assignments/{aid}" in mail.get_content()
    assert MEETING[:10] not in mail.get_content()  # the complaint itself stays behind the console login
    (robot,) = fake_robot.delivered
    assert robot.startswith(f"【退回】嵩阳市委办公室退回了第 {fid} 号反映的交办单\n")
    assert "理由：不属于本部门职责" in robot and robot.endswith(f"/console/assignments/{aid}")


def test_a_refused_mailbox_is_a_failed_delivery_with_a_readable_error(db, delivery, fake_smtp):
    fake_smtp.reject.add(WB_MAIL)
    queue(db, "k:refused")
    assert send().counts["retry"] == 1
    assert message(db, "k:refused").last_error == "SMTP 服务器拒绝收件地址"
    assert fake_smtp.received() == []


def test_a_sender_that_crashed_halfway_is_recovered_and_each_message_delivered_once(db, delivery, fake_smtp):
    for n in range(3):
        queue(db, f"k:crash-{n}", subject=f"通知 {n}")
    ids, token = outbox.claim(delivery.now(), 10, timedelta(minutes=5))
    assert outbox.deliver(ids[0], token, {}) == "sent"
    # ... and the process dies here: the other two stay "sending" under its claim.

    delivery.advance(minutes=2)
    assert send().counts == NOTHING
    assert [message(db, f"k:crash-{n}").status for n in range(3)] == ["sent", "sending", "sending"]

    delivery.advance(minutes=4)  # the claim has expired
    assert send().counts == NOTHING | {"recovered": 2, "claimed": 2, "sent": 2}
    assert sorted(m["Subject"] for m in fake_smtp.received()) == ["通知 0", "通知 1", "通知 2"]
    assert message(db, "k:crash-1").last_error is None


# ------------------------------------------------------------------------------- two real processes


@pytest.mark.subprocess
def test_three_sender_processes_at_once_deliver_each_message_exactly_once(app, db, delivery, fake_smtp):
    keys = [f"k:many-{n}" for n in range(40)]
    ids = {queue(db, key, subject=f"通知 {key}").id for key in keys}
    db.session.remove()
    fake_smtp.delay = 0.02  # a slowish server, so the senders overlap
    config = {
        "SMTP_HOST": fake_smtp.host,
        "SMTP_PORT": fake_smtp.port,
        "SMTP_FROM": "jianfu-notice@example.org",
        "OUTBOX_BATCH_SIZE": 3,
    }

    # Two share the scheduler's lease (one may be turned away); outbox-sender-b has its own and
    # really runs beside them, so only the claims keep a message from going out twice.
    results = run_processes(app, T0, ["outbox-sender", "outbox-sender", "outbox-sender-b"], config)

    assert any(r.returncode == 0 for r in results), [r.stderr for r in results]
    for result in results:
        assert result.returncode == 0 or "未运行" in result.stderr, result.stderr
    received = [m["Message-ID"] for m in fake_smtp.received()]
    assert sorted(received) == sorted(f"<outbox-{i}@example.org>" for i in ids)  # each once, none missing
    assert {message(db, key).status for key in keys} == {"sent"}
    runs = db.session.scalars(select(JobRun).where(JobRun.outcome == "success")).all()
    assert sum(r.counts["sent"] for r in runs) == 40


def test_a_notice_of_a_reporters_step_is_sent_and_stamped_with_the_day_only(app, db, delivery, fake_robot):
    """The org department learns that the reporter answered, not the minute they did (DESIGN §5)."""
    from feedback.services.intake.reporter import feedback_by_receipt
    from feedback.services.intake.submit import submit_feedback
    from feedback.services.notices import action_notices
    from feedback.timeutil import day_start
    from tests.support.api import MEETING, WEDNESDAY_0930, frozen

    frozen(app, WEDNESDAY_0930)
    body, _ = submit_feedback("outbox-answer", {"kind": "problem", "content": MEETING})
    feedback = feedback_by_receipt(body["receipt"])
    action_notices.reporter_answered(feedback)
    db.session.commit()
    assert send().counts == NOTHING | {"claimed": 1, "sent": 1}
    (robot,) = fake_robot.delivered
    assert "反映人已答复" in robot
    (notice,) = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reporter_answered"))
    assert notice.created_at == notice.sent_at == day_start(WEDNESDAY_0930)
