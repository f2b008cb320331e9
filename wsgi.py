"""WSGI entry point: ``gunicorn wsgi:app``.

Each worker loads the jieba dictionary while it boots, so no cadre's submission pays
for it, and a broken taxonomy file stops the worker loudly instead of failing requests.
"""

from feedback import create_app
from feedback.services.admin.tagger import get_tagger

app = create_app()
with app.app_context():
    get_tagger().warm_up()
