"""WSGI entry point: ``gunicorn wsgi:app``.

gunicorn preloads this module in its master (gunicorn.conf.py) and forks the workers from it, so
what is loaded here is loaded once and shared: the jieba dictionary and its IDF table (warm_up) and
SQLAlchemy's configured mappers. No cadre's submission pays for them, and a broken taxonomy file
stops the server loudly instead of failing requests.
"""

from sqlalchemy.orm import configure_mappers

from feedback import create_app
from feedback.services.admin.tagger import get_tagger

app = create_app()
configure_mappers()
with app.app_context():
    get_tagger().warm_up()
