"""Extension objects, created unbound; ``create_app`` attaches them with ``init_app``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask_limiter import Limiter
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from feedback.rate_limits import person_key

if TYPE_CHECKING:
    from flask import Flask

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
# By default limits count per cadre, under a daily keyed hash of the pseudonym (never an IP address).
# Its memory:// store is rate_limit_store.SweptMemoryStorage (registered when rate_limits is imported).
limiter = Limiter(key_func=person_key)


def dialect_name() -> str:
    """ "sqlite" or "postgresql": the dialect of the app's one engine (no per-model binds), read
    from the engine rather than the session's bind, which costs a look-up on every call."""
    return db.engine.dialect.name


def init_database(app: Flask) -> None:
    """Attach Flask-SQLAlchemy; a SQLite file is used in write-ahead-log mode.

    In SQLite's default (rollback journal) mode a writer locks readers out while it commits and
    every transaction writes each page it changes twice; with several gunicorn workers the
    submissions then spend CPU waiting on each other (0.3 ms of a submission's 2.6 on the 2x10^5
    bench file, tests/bench) and the console's lists wait for them. WAL lets readers go on while
    one writer commits. The mode is kept in the database file; setting it on every new
    connection makes a file created by ``flask db upgrade`` (or copied in) WAL from its first use.
    synchronous stays FULL: a reported burden must survive a power cut once acknowledged.
    """
    import sqlite3

    from sqlalchemy import event

    db.init_app(app)
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _write_ahead_log(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError:  # another process holds the file in its old mode: keep it
            pass
        finally:
            cursor.close()


def init_migrations(app: Flask) -> None:
    """Attach Flask-Migrate (``flask db …``). Alembic weighs about 20 MB, so only the command line
    and the tests load it; a web worker never needs it (no schema change at start-up)."""
    from flask_migrate import Migrate

    from config.settings import PROJECT_DIR

    Migrate(app, db, directory=str(PROJECT_DIR / "migrations"), render_as_batch=True)
