"""gunicorn's settings for Rapport in production:

    gunicorn -c gunicorn.conf.py 'lti_tool:create_app()'

Rapport's own settings come from its environment variables (README, "Configuration"); these
are the web server's. Any of them can be overridden per host without editing this file, e.g.
GUNICORN_CMD_ARGS="--timeout 90".
"""

import gc
import os

# Behind a TLS-terminating proxy: bind so that only the proxy can reach this port (systemd's
# unit binds 127.0.0.1). PORT as platforms that run a Procfile set it.
bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"

# 2 x CPU + 1 sync workers, gunicorn's rule, capped: each worker holds its own pool of database
# connections (up to 15), and PostgreSQL admits 100 by default. WEB_CONCURRENCY overrides.
workers = int(os.environ.get("WEB_CONCURRENCY") or min(2 * (os.cpu_count() or 1) + 1, 8))

# Each worker builds its own app after the fork: no database connection, Redis socket or
# thread is shared between processes, and a worker that starts while the database is down
# boots anyway and answers 503 until the database is back.
preload_app = False

# A launch may wait on the LMS for its JWKS, a dynamic registration for two answers, each at
# most 20 s (Rapport's outbound client); grades and rosters go in the background. A request
# still running after 60 s is stuck, and its worker is replaced. On SIGTERM, requests in
# flight get 30 s to finish.
timeout = 60
graceful_timeout = 30

# The proxy's X-Forwarded-For, -Proto, -Host and -Port are read by the app itself, trusting
# exactly PROXY_HOPS proxies (werkzeug's ProxyFix) wherever the proxy runs, so gunicorn's own
# forwarded_allow_ips stays at its default (127.0.0.1): widening it adds nothing.

accesslog = "-"  # stdout
errorlog = "-"  # stderr


def post_worker_init(worker):
    """One line in the log, never a traceback, when the database is down or not migrated.
    Then what the app made at start (modules, routes, templates, the ORM's mappings) is set
    apart from the cycle collector: a full collection no longer walks it, which paused a
    request for 70-100 ms about once in 150 pages of a big course."""
    # Imported in the worker: the master never loads the app, so a HUP reload loads new code.
    from lti_tool.startup import check_at_start  # noqa: PLC0415

    check_at_start(worker.wsgi)
    gc.collect()
    gc.freeze()
