"""gunicorn settings: `gunicorn -c python:searchsvc.gunicorn_conf 'searchsvc:create_app()'`.

Values come from the one Settings table (SEARCHSVC_BIND, SEARCHSVC_WORKERS, ...); command-line
flags such as --bind and --workers still override them.
"""

from __future__ import annotations

import gunicorn
import gunicorn.http.wsgi

from searchsvc.config import load_settings

_settings = load_settings()

bind = [_settings.bind]
workers = _settings.workers
# Threaded workers: a sync worker is held by one connection for as long as its client takes to
# send the request, so two idle or slow clients stopped the service. With gthread, a connection
# that has sent nothing waits in the worker's poller without a thread, and a slow one holds one
# of `threads` threads while the others answer. The read side is thread-safe (engines/base.py:
# a Generation holds no per-call state; tests/test_concurrency.py), so threads search at once.
worker_class = "gthread"
threads = _settings.threads
# Off, so that every worker runs create_app() after the fork and opens the index itself.
preload_app = False
timeout = 30
# gunicorn's largest request line: a 500-character query percent-encoded as UTF-8 still fits,
# so the app (not gunicorn's bare 414 page) answers the "query too long" error.
limit_request_line = 8190
graceful_timeout = 10
keepalive = 2
max_requests = 0
accesslog = "-"
errorlog = "-"
loglevel = "info"
# client, request line, status, bytes, duration in ms, user agent
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms "%(a)s"'
proc_name = "searchsvc"
# gunicorn's control socket lives at one fixed path per user, which two servers (or a test
# server beside a dev server) would fight over; nothing here uses it.
control_socket_disable = True
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "loggers": {
        "searchsvc": {"level": "INFO", "handlers": ["error_console"], "propagate": False},
    },
}

# A minimal Server header: the product name without gunicorn's version.
gunicorn.SERVER = gunicorn.SERVER_SOFTWARE = "searchsvc"
gunicorn.http.wsgi.SERVER = "searchsvc"
