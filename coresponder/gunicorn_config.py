"""gunicorn's configuration for Coresponder: `gunicorn coresponder.wsgi:application
--config python:coresponder.gunicorn_config` (the container's command and the systemd unit).

gunicorn reads it once, in its first process, before it listens or starts a worker: a bad
setting stops the server there, with status 1 and the one sentence naming the setting. (The
workers read the settings again in `coresponder.wsgi`, for a server started without it.)
Only names gunicorn knows are taken from here as its settings; none are set.
"""

from coresponder.cli import read_settings_or_stop

# gunicorn's own status for a configuration it cannot use.
BAD_CONFIGURATION = 1

read_settings_or_stop(BAD_CONFIGURATION)
