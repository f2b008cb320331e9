"""WSGI entry point: ``gunicorn wsgi:app``.

gunicorn preloads this module in its master (gunicorn.conf.py) and forks the workers from it, so
what is loaded here is loaded once and shared: the jieba dictionary and its IDF table (warm_up) and
SQLAlchemy's configured mappers. No cadre's submission pays for them, and a broken taxonomy file
stops the server loudly instead of failing requests.
"""

import gc

# Loading builds some hundred thousand objects that live as long as the server and no garbage; the
# collector's full passes over them while they pile up cost about a fifth of the load. It is back
# on for the rest of the process, and gunicorn.conf.py's when_ready collects once and freezes them.
gc.disable()
try:
    from sqlalchemy.orm import configure_mappers

    from feedback import create_app
    from feedback.services.admin.tagger import get_tagger

    app = create_app()
    configure_mappers()
    with app.app_context():
        get_tagger().warm_up()
finally:
    gc.enable()
