"""gunicorn settings for production: `gunicorn config.wsgi -c config/gunicorn.py`.

Workers come from WEB_CONCURRENCY (default 2), the address from HOST and PORT.
Requests are logged by the application itself, one JSON line each
(config.middleware.RequestLogMiddleware), so gunicorn's access log is off.
"""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then so a slow leak cannot grow without bound.
max_requests = 10_000
max_requests_jitter = 1_000
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
