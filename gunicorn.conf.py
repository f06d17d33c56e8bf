"""Production server settings (gunicorn -c gunicorn.conf.py wsgi:app), from the environment."""

import multiprocessing
import os

from fieldportal.log_config import logging_config

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# The app's JSON lines on stdout (fieldportal/log_config.py), gunicorn's own messages
# included. One line per request comes from fieldportal.request_log; gunicorn's access log
# would print raw URLs, which can carry tokens.
logconfig_dict = logging_config()
accesslog = None
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
