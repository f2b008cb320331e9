"""Fixtures: a real database (SQLite file or PostgreSQL), migrated once; a loopback WeChat.

Choose the database with TEST_DATABASE_URL (default: a SQLite file in a temp dir).
Each test gets a fresh app on the migrated schema and leaves every table empty.
"""

from __future__ import annotations

import os
import uuid

import flask_migrate
import pytest
from sqlalchemy import text

from feedback import create_app
from feedback.extensions import db as _db
from tests.support.fake_wechat import FakeWeChat

TEST_APPID = "wx-test-appid"
TEST_SECRET = "wx-test-secret"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def fake_wechat():
    server = FakeWeChat(TEST_APPID, TEST_SECRET).start()
    yield server
    server.stop()


def _config(database_url: str, tmp_path, wechat: FakeWeChat) -> dict:
    return {
        "FEEDBACK_ENV": "testing",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "WECHAT_API_BASE": wechat.base_url,
        "WECHAT_APPID": TEST_APPID,
        "WECHAT_SECRET": TEST_SECRET,
    }


@pytest.fixture(scope="session")
def _migrated(database_url, tmp_path_factory, fake_wechat):
    """Build the schema once, through the migrations, as an operator would."""
    app = create_app(_config(database_url, tmp_path_factory.mktemp("m"), fake_wechat))
    with app.app_context():
        if _db.engine.dialect.name == "postgresql":
            with _db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        flask_migrate.upgrade()
        _db.engine.dispose()
    return database_url


def _empty_all_tables() -> None:
    with _db.engine.begin() as conn:
        for table in reversed(_db.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def app(_migrated, tmp_path, fake_wechat):
    from feedback.extensions import limiter

    app = create_app(_config(_migrated, tmp_path, fake_wechat))
    with app.app_context():
        limiter.reset()  # rate-limit counts must not leak from one test into the next
        yield app
        _db.session.remove()
        _empty_all_tables()
        _db.engine.dispose()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def seeded(app):
    """The sample reference data from config/, loaded as `flask seed` does."""
    from feedback.services.admin.seed import seed_reference_data

    seed_reference_data(app.config["REFERENCE_DIR"])
    _db.session.commit()
    return app


@pytest.fixture
def mp_login(client, fake_wechat):
    """Log a cadre in through the loopback WeChat; returns request headers with the token."""

    def login(openid: str | None = None) -> dict[str, str]:
        code = fake_wechat.issue_code(openid or f"o-{uuid.uuid4().hex}")
        reply = client.post("/api/mp/v1/session", json={"code": code})
        assert reply.status_code == 200, reply.get_json()
        return {"Authorization": f"Bearer {reply.get_json()['token']}"}

    return login


@pytest.fixture
def jpeg_bytes():
    """A camera-like JPEG with GPS and device EXIF, as a phone would send it."""
    import io

    from PIL import Image

    def make(size=(64, 48), make_tag="SpyPhone", gps=True) -> bytes:
        image = Image.new("RGB", size, (200, 120, 40))
        exif = Image.Exif()
        exif[0x010F] = make_tag  # Make
        exif[0x0110] = "Model X-1"  # Model
        if gps:
            exif[0x8825] = {1: "N", 2: (34.0, 45.0, 12.5), 3: "E", 4: (113.0, 39.0, 8.25)}
        out = io.BytesIO()
        image.save(out, format="JPEG", exif=exif)
        return out.getvalue()

    return make


STAFF_TEST_PASSWORD = "Staff-Test-2026"


@pytest.fixture
def staff_login(client, db):
    """Create a staff user through the service (committed) and log in through the API.

    ``login(role, department_code=None, point_code=None, username=None)`` returns request
    headers with the Bearer token. handler needs a department and liaison a point, so
    tests using those roles also ask for ``seeded``. Calling it again with the same
    username logs the existing user in once more (a second session).
    """
    from feedback.services.admin.staff_auth import create_user, find_user

    def login(
        role: str, department_code: str | None = None, point_code: str | None = None, username: str | None = None
    ) -> dict[str, str]:
        username = username or f"{role}-{uuid.uuid4().hex[:10]}"
        if find_user(username) is None:
            create_user(username, STAFF_TEST_PASSWORD, role, department_code=department_code, point_code=point_code)
            db.session.commit()
        reply = client.post("/api/staff/v1/auth/login", json={"username": username, "password": STAFF_TEST_PASSWORD})
        assert reply.status_code == 200, reply.get_json()
        return {"Authorization": f"Bearer {reply.get_json()['token']}"}

    return login


def pytest_collection_finish(session):
    """Everything imported so far lives as long as the run: out of the collector's full passes."""
    import gc

    gc.collect()
    gc.freeze()
