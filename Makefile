# Coresponder: `make demo` to try it, `make test` to check it.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
CLI := $(BIN)/coresponder
STAMP := $(VENV)/.installed
STATIC_STAMP := coresponder/static/vendor/.built
export DJANGO_SETTINGS_MODULE := coresponder.settings

.PHONY: demo setup install static collectstatic migrate data test lint typecheck security pytest bench soak browser-deps report-deps spark-deps redis-deps serve clean wheel dist

demo: setup serve

setup: install static collectstatic migrate data
	@$(CLI) demo_personas

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

$(STATIC_STAMP): package.json package-lock.json scripts/build_static.sh
	bash scripts/build_static.sh

static: $(STATIC_STAMP)

collectstatic: install static
	$(CLI) collectstatic --no-input -v 0

migrate: install
	@mkdir -p var
	$(CLI) migrate --no-input -v 0

data: migrate
	$(CLI) load_programs
	$(CLI) demo_data --seed 1 --scale small --if-empty
	$(CLI) index_people

serve:
	$(CLI) runserver 127.0.0.1:8000

browser-deps:
	@test -x /usr/bin/chromium || { echo "Installing Chromium for browser tests"; \
	  (apt-get install -y chromium >/dev/null 2>&1 || (apt-get update >/dev/null && apt-get install -y chromium >/dev/null)); }

# The quarterly report tests render its PDF to PNG (pdftoppm) and read its text (pdftotext);
# records requests are set in DejaVu Sans, which spells names in any European script.
report-deps:
	@test -x /usr/bin/pdftoppm || { echo "Installing poppler-utils for report tests"; \
	  (apt-get install -y poppler-utils >/dev/null 2>&1 || (apt-get update >/dev/null && apt-get install -y poppler-utils >/dev/null)); }
	@test -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf || { echo "Installing fonts-dejavu-core for records requests"; \
	  (apt-get install -y fonts-dejavu-core >/dev/null 2>&1 || (apt-get update >/dev/null && apt-get install -y fonts-dejavu-core >/dev/null)); }

# The linkage model's Spark training test (LINKAGE_BACKEND=spark) runs a local Spark, which needs Java.
spark-deps:
	@command -v java >/dev/null || { echo "Installing a Java runtime for the Spark tests"; \
	  (apt-get install -y default-jre-headless >/dev/null 2>&1 || (apt-get update >/dev/null && apt-get install -y default-jre-headless >/dev/null)); }

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(CLI) makemigrations --check --dry-run >/dev/null
	$(BIN)/pre-commit validate-config .pre-commit-config.yaml

typecheck: install
	$(BIN)/mypy coresponder

# Static security analysis: any finding fails, unless reviewed as [tool.bandit] in pyproject.toml says.
security: install
	$(BIN)/bandit -r coresponder -c pyproject.toml -q

# The suite in parallel, one worker per core the machine is given (each with its own database).
PYTEST_WORKERS ?= 2
# The shared-cache tests talk to a real Redis on 127.0.0.1:6379: install it if missing, start it if
# nothing answers there (in memory only: it keeps nothing on disk).
redis-deps:
	@command -v redis-server >/dev/null || { echo "Installing Redis for the shared-cache tests"; \
	  (apt-get install -y redis-server >/dev/null 2>&1 || (apt-get update >/dev/null && apt-get install -y redis-server >/dev/null)); }
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || { echo "Starting Redis on 127.0.0.1:6379"; \
	  redis-server --bind 127.0.0.1 --port 6379 --save '' --appendonly no --daemonize yes >/dev/null; \
	  for _ in 1 2 3 4 5 6 7 8 9 10; do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.5; done; }

pytest: install static browser-deps report-deps spark-deps redis-deps
	$(BIN)/pytest -q -n $(PYTEST_WORKERS)

test: setup browser-deps report-deps spark-deps redis-deps lint typecheck security pytest

bench: install static
	$(PY) bench/run.py

# The bounded soak (bench/bench_soak.py), alone: ten minutes unless BENCH_SOAK_SECONDS says.
soak: install static
	$(PY) bench/run.py bench_soak

# The release: a source distribution (the whole project, MANIFEST.in) and the wheel built
# from it (templates, static assets with the built vendor files, presets), in an isolated
# environment into var/dist/; the wheel is then installed alone into a new virtual
# environment where `coresponder --version`, `check`, `migrate` and `load_programs` must
# work. Not part of `make test`: it takes minutes.
DIST := var/dist
WHEELTEST := $(CURDIR)/var/wheeltest
VERSION = $(shell sed -n 's/^__version__ = "\(.*\)"$$/\1/p' coresponder/__init__.py)
wheel: install static
	rm -rf $(DIST) $(WHEELTEST) build
	$(PY) -m build --outdir $(DIST) .
	$(PYTHON) -m venv $(WHEELTEST)/venv
	$(WHEELTEST)/venv/bin/pip install --quiet --disable-pip-version-check -c constraints.txt $(DIST)/coresponder-$(VERSION)-py3-none-any.whl
	mkdir -p $(WHEELTEST)/var
	cd $(WHEELTEST) && export CORESPONDER_VAR_DIR=$(WHEELTEST)/var \
	  DATABASE_URL=sqlite:///$(WHEELTEST)/var/coresponder.sqlite3 \
	  CORESPONDER_PRESETS_DIR=$(WHEELTEST)/venv/share/coresponder/presets \
	  && test "$$(venv/bin/coresponder --version)" = "coresponder $(VERSION)" \
	  && venv/bin/coresponder check \
	  && venv/bin/coresponder migrate --no-input -v 0 \
	  && venv/bin/coresponder load_programs
	@echo "Built $(DIST)/coresponder-$(VERSION).tar.gz and checked $(DIST)/coresponder-$(VERSION)-py3-none-any.whl"

dist: wheel

clean:
	rm -rf $(VENV) node_modules coresponder/static/vendor var/static
