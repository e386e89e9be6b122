"""The WSGI application the web server (gunicorn) serves."""

from django.core.wsgi import get_wsgi_application

from coresponder.cli import read_settings_or_stop

# A gunicorn worker that exits with this status stops the whole server ("Worker failed to
# boot") instead of being started again, and again, each time with the same bad setting.
WORKER_FAILED_TO_BOOT = 3

read_settings_or_stop(WORKER_FAILED_TO_BOOT)
application = get_wsgi_application()
