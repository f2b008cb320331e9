"""Console test helpers: log a staff member into a test client, read a page's CSRF token."""

from __future__ import annotations

import re
import uuid

from tests.conftest import STAFF_TEST_PASSWORD


def log_in(client, username, password=STAFF_TEST_PASSWORD, next_page=None):
    data = {"username": username, "password": password}
    if next_page:
        data["next"] = next_page
    return client.post("/console/login", data=data)


def csrf_of(page_html: str) -> str:
    return re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page_html).group(1)


def console_client(app, db, role, department_code=None, point_code=None, username=None, display_name=None):
    """A new test client logged into the console as a new (or the named) staff user of ``role``.

    handler needs ``department_code`` and liaison ``point_code`` (use the ``seeded`` fixture).
    The client's ``csrf`` attribute holds the token its forms must send.
    """
    from feedback.services.admin.staff_auth import create_user, find_user

    username = username or f"{role}-{uuid.uuid4().hex[:8]}"
    if find_user(username) is None:
        create_user(
            username,
            STAFF_TEST_PASSWORD,
            role,
            department_code=department_code,
            point_code=point_code,
            display_name=display_name or "",
        )
        db.session.commit()
    client = app.test_client()
    reply = log_in(client, username)
    assert reply.status_code == 302, reply.get_data(as_text=True)
    client.csrf = csrf_of(client.get("/console/").get_data(as_text=True))
    client.username = username
    return client
