"""消息发送: the admin sees the outbox by status, dead letters with their first error line, and retries one."""

from __future__ import annotations

from sqlalchemy import select

from feedback.models import Department, OutboxMessage
from feedback.services.notices.queue import enqueue
from tests.support.console import console_client
from tests.support.routing import WB_MAIL, write_routing

ROBOT_KEY = "robot-secret-key-693a"


def _queue(app, db, tmp_path):
    """A dead notice to the org robot, a dead one to a department mailbox, one sent and one pending."""
    app.config["NOTIFICATIONS_PATH"] = str(
        write_routing(tmp_path / "notifications.yaml", f"http://127.0.0.1:9/cgi-bin/webhook/send?key={ROBOT_KEY}")
    )
    wb = db.session.scalar(select(Department.id).where(Department.code == "city-wb"))
    robot = enqueue(kind="tongbao", dedupe_key="assignment:7:tongbao", subject="【通报】交办单 #7 超期未反馈", body="…")
    mail = enqueue(
        kind="due_soon", dedupe_key="assignment:8:due_soon", subject="交办单 #8 即将到期", body="…", department_id=wb
    )
    sent = enqueue(kind="duban", dedupe_key="assignment:9:duban", subject="【督办】交办单 #9", body="…")
    enqueue(kind="overdue", dedupe_key="assignment:10:overdue", subject="交办单 #10 已超期", body="…")
    robot.status, robot.attempts = "dead", 6
    robot.last_error = "群机器人返回错误 93000：invalid webhook url\n详细：连接被拒绝"
    mail.status, mail.attempts, mail.last_error = "dead", 6, "邮件服务器拒收：550 mailbox unavailable"
    sent.status, sent.attempts = "sent", 1
    db.session.commit()
    return robot.id, mail.id


def test_dead_letters_are_listed_with_their_first_error_line_and_no_secret(app, db, seeded, tmp_path):
    robot_id, mail_id = _queue(app, db, tmp_path)
    admin = console_client(app, db, "admin")
    page = admin.get("/console/outbox")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<h1>消息发送</h1>" in html and "共 4 条" in html
    assert "共有 2 条通知发送失败" in html
    assert "群机器人返回错误 93000：invalid webhook url" in html and "详细：连接被拒绝" not in html
    assert "zzb-robot" in html and WB_MAIL in html and ROBOT_KEY not in html and "cgi-bin" not in html
    assert "发送失败" in html and "已发送" in html and "待发送" in html

    dead = admin.get("/console/outbox?status=dead").get_data(as_text=True)
    assert "共 2 条" in dead and "【督办】交办单 #9" not in dead and "交办单 #10 已超期" not in dead
    assert dead.count("重新发送</button>") == 2
    sent = admin.get("/console/outbox?status=sent").get_data(as_text=True)
    assert "共 1 条" in sent and "重新发送</button>" not in sent


def test_retrying_a_dead_letter_puts_it_back_to_pending_with_fresh_attempts(app, db, seeded, tmp_path):
    robot_id, mail_id = _queue(app, db, tmp_path)
    admin = console_client(app, db, "admin")
    reply = admin.post(f"/console/outbox/{robot_id}/retry", data={"csrf_token": admin.csrf, "status": "dead"})
    assert reply.status_code == 302 and reply.headers["Location"].endswith("/console/outbox?status=dead")
    html = admin.get(reply.headers["Location"]).get_data(as_text=True)
    assert f"通知 #{robot_id} 已重新排队" in html and "共 1 条" in html
    db.session.expire_all()
    message = db.session.get(OutboxMessage, robot_id)
    assert (message.status, message.attempts) == ("pending", 0)
    assert db.session.get(OutboxMessage, mail_id).status == "dead"

    again = admin.post(f"/console/outbox/{robot_id}/retry", data={"csrf_token": admin.csrf})
    assert "只有发送失败（dead）的通知可以重新发送" in admin.get(again.headers["Location"]).get_data(as_text=True)
    missing = admin.post("/console/outbox/999999/retry", data={"csrf_token": admin.csrf})
    assert "未找到该通知" in admin.get(missing.headers["Location"]).get_data(as_text=True)


def test_only_admins_see_the_outbox(app, db, seeded, tmp_path):
    robot_id, _ = _queue(app, db, tmp_path)
    for role in ("triage", "viewer"):
        staff = console_client(app, db, role)
        page = staff.get("/console/outbox")
        assert page.status_code == 403 and "只有系统管理员可以查看消息发送情况" in page.get_data(as_text=True)
        assert staff.post(f"/console/outbox/{robot_id}/retry", data={"csrf_token": staff.csrf}).status_code == 403
    db.session.expire_all()
    assert db.session.get(OutboxMessage, robot_id).status == "dead"
