"""Steps every browser journey takes the same way."""

from __future__ import annotations

from tests.conftest import STAFF_TEST_PASSWORD


def log_in(
    page,
    base: str,
    username: str,
    password: str = STAFF_TEST_PASSWORD,
    *,
    path: str = "/console/login",
    landing: str = "工作台",
) -> None:
    """Log in through the console's form (starting from ``path``) and wait for the ``landing`` heading."""
    page.goto(f"{base}{path}")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("heading", name=landing).wait_for()
    page.wait_for_load_state("load")  # the whole page parsed, not only down to its heading
