"""gunicorn settings, read automatically when gunicorn starts in this directory (``gunicorn wsgi:app``).

Request-size limits sit just above the app's own (feedback/api/http_limits.py: URL 4096 characters,
one header 8192, 100 headers), so a request slightly too large reaches the app and is answered in
the JSON error shape. Only what is larger still, or not HTTP at all, gets gunicorn's HTML page;
the proxy in front is expected to refuse those first (README, 生产部署).
"""

limit_request_line = 8190  # gunicorn's maximum: method, URL and version
limit_request_field_size = 16384
limit_request_fields = 200
# No access log: gunicorn's would record client addresses for /api/mp/* (DESIGN §5).
accesslog = None

# Load the app (and, in wsgi.py, the jieba dictionary) once in the master and fork the workers from
# it: the dictionary's pages are shared instead of being built again in every worker, and a worker
# is ready as soon as it is forked. A code change therefore needs a restart, not a HUP.
preload_app = True


def when_ready(server):
    """Before the first fork: move everything loaded so far out of the garbage collector's reach, so
    a collection in a worker does not write to (and so copy) the shared pages; and drop any database
    connection the master opened, so no worker inherits a socket another one uses."""
    import gc

    app = server.app.wsgi()
    database = app.extensions.get("sqlalchemy")
    if database is not None:
        with app.app_context():
            database.engine.dispose()
    gc.collect()
    gc.freeze()
