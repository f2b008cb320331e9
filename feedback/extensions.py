"""Extension objects, created unbound; ``create_app`` attaches them with ``init_app``."""

from __future__ import annotations

from typing import TYPE_CHECKING

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


def init_migrations(app: Flask) -> None:
    """Attach Flask-Migrate (``flask db …``). Alembic weighs about 20 MB, so only the command line
    and the tests load it; a web worker never needs it (no schema change at start-up)."""
    from flask_migrate import Migrate

    from config.settings import PROJECT_DIR

    Migrate(app, db, directory=str(PROJECT_DIR / "migrations"), render_as_batch=True)
