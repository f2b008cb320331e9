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
