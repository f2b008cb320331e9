"""The baseline for bench_submit.py: the least a Flask-SQLAlchemy insert endpoint can do.

One table, one POST endpoint that inserts the JSON body's ``content`` and commits; no
validation, no auth, no rate limit, no tagging. Same driver and engine options as the app.
``python tests/bench/bare_app.py`` creates its table in $DATABASE_URL; gunicorn serves
``bare_app:app`` (run with ``--pythonpath tests/bench``).
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, request
from flask_sqlalchemy import SQLAlchemy

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from config.settings import BaseSettings, normalise_database_url  # noqa: E402

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(os.environ["DATABASE_URL"])
app.config["SQLALCHEMY_ENGINE_OPTIONS"] = dict(BaseSettings.SQLALCHEMY_ENGINE_OPTIONS)
db = SQLAlchemy(app)


class BareSubmission(db.Model):
    __tablename__ = "bench_bare_submission"
    id = db.Column(db.Integer, primary_key=True)
    kind = db.Column(db.String(16))
    content = db.Column(db.Text)
    created_at = db.Column(db.DateTime(timezone=True), default=lambda: datetime.now(UTC))


@app.post("/bare/submit")
def submit():
    body = request.get_json()
    db.session.add(BareSubmission(kind=body.get("kind"), content=body.get("content")))
    db.session.commit()
    return {"ok": True}, 201


if __name__ == "__main__":
    with app.app_context():
        db.create_all()
