# syntax=docker/dockerfile:1
# Coresponder's image: the wheel `make wheel` would build, installed with the pinned
# versions into a virtual environment, static files collected, run as a user without
# privileges by gunicorn. `docker build .` gives the application (the last stage);
# `--target proxy` gives Caddy with the collected static files (compose.yaml builds both).

# 1. The front-end assets (USWDS, HTMX) from npm, as `make static` builds them.
FROM node:20-bookworm-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
COPY scripts/build_static.sh scripts/build_static.sh
RUN bash scripts/build_static.sh

# 2. The wheel, its pinned dependencies in /opt/coresponder, and the collected static files.
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml constraints.txt README.md LICENSE MANIFEST.in ./
COPY coresponder coresponder
COPY presets presets
COPY --from=assets /src/coresponder/static/vendor coresponder/static/vendor
RUN python -m venv /opt/build \
 && /opt/build/bin/pip install -c constraints.txt build \
 && /opt/build/bin/python -m build --wheel --outdir /src/dist . \
 && python -m venv /opt/coresponder \
 && /opt/coresponder/bin/pip install -c constraints.txt /src/dist/coresponder-*-py3-none-any.whl
RUN CORESPONDER_VAR_DIR=/srv/coresponder/var /opt/coresponder/bin/coresponder collectstatic --no-input -v 0

# 3. The proxy in front: serves /static/ itself, limits request bodies, passes the rest on.
FROM caddy:2 AS proxy
COPY deploy/Caddyfile /etc/caddy/Caddyfile
COPY --from=build /srv/coresponder/var/static /srv/static

# 4. The application.
FROM python:3.11-slim AS runtime
# pg_dump, pg_restore and psql for `coresponder backup` and `restore`: Debian's, version 15,
# the server's in compose.yaml (a client as new as the server or newer). DejaVu Sans sets
# records requests, so that a name in Cyrillic, Greek or Vietnamese reads as written.
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 coresponder \
 && useradd --system --uid 10001 --gid coresponder --home-dir /srv/coresponder \
      --shell /usr/sbin/nologin coresponder \
 && mkdir -p /srv/coresponder/var /srv/coresponder/audit \
 && chown coresponder:coresponder /srv/coresponder/var /srv/coresponder/audit
COPY --from=build /opt/coresponder /opt/coresponder
COPY --from=build /srv/coresponder/var/static /srv/coresponder/var/static
ENV PATH=/opt/coresponder/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=coresponder.settings \
    CORESPONDER_VAR_DIR=/srv/coresponder/var \
    CORESPONDER_PRESETS_DIR=/opt/coresponder/share/coresponder/presets \
    AUDIT_CHECKPOINT_FILE=/srv/coresponder/audit/audit-checkpoints.log
WORKDIR /srv/coresponder
USER coresponder
EXPOSE 8000
# /readyz answers 200 while the database answers, every migration is applied and the worker
# began a pass within WORKER_HEARTBEAT_MAX_AGE; else 503, naming what fails (/healthz only
# says the process and database are up). It is asked for by the first name in ALLOWED_HOSTS,
# which Django requires of every request's Host. A new gunicorn process takes some seconds
# over its first request, which loads every page's code.
HEALTHCHECK --interval=30s --timeout=15s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; host = (os.environ.get('ALLOWED_HOSTS') or 'localhost').split(',')[0].strip().lstrip('.'); urllib.request.urlopen(urllib.request.Request('http://127.0.0.1:8000/readyz', headers={'Host': host}), timeout=12)"]
# Workers, timeouts and the PROXY protocol come from GUNICORN_CMD_ARGS (compose.yaml). The
# config reads the settings before gunicorn listens: a bad one stops it with one sentence.
CMD ["gunicorn", "coresponder.wsgi:application", "--config", "python:coresponder.gunicorn_config", "--bind", "0.0.0.0:8000"]
