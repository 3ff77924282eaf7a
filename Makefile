# Kefu's verbs. `make run` and `make test` work on a fresh clone with only Python 3.11.
# Everything is installed into .venv from the hashed lock files in requirements/.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
HOST ?= 127.0.0.1
PORT ?= 8000
SIZE ?= large
# Extra arguments for pytest: make test PYTEST_ARGS='tests/customers -x'
PYTEST_ARGS ?=
# Test processes (pytest-xdist); 0 runs the suite in one process. loadgroup: the tests that share
# a module's data (tests/conftest.py, module_db) go to one worker, the others to whichever is free.
TEST_WORKERS ?= 2

.PHONY: help run test lint lint-ruff lint-format lint-django lint-migrations lint-mypy lint-imports bench lock \
	messages vendor clean

help:
	@echo "make run       install, migrate, load the demo data and serve on http://$(HOST):$(PORT)"
	@echo "make test      install the test tools (and Chromium when missing) and run the whole suite"
	@echo "make lint      ruff, Django's checks, missing migrations, mypy, the direction of imports"
	@echo "make bench     the benchmark suite (SIZE=small|medium|large, default large)"
	@echo "make lock      regenerate requirements/*.txt from pyproject.toml, with hashes"
	@echo "make messages  update and compile the Chinese translations"
	@echo "make vendor    copy the pinned front-end assets into src/kefu/static/vendor"
	@echo "make clean     remove .venv, var/ and caches"

# --- The virtualenv: created once, reinstalled only when a lock file changes ----------------

$(PY):
	@test -n "$(PYTHON)" || { echo "error: python3.11 (or python3) is not on PATH" >&2; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
		|| { echo "error: Kefu needs Python 3.11; $(PYTHON) is $$($(PYTHON) --version)" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.base.stamp: requirements/base.txt | $(PY)
	$(PIP) install --quiet --require-hashes -r requirements/base.txt
	@touch $@

$(VENV)/.dev.stamp: requirements/dev.txt | $(PY)
	$(PIP) install --quiet --require-hashes -r requirements/dev.txt
	@touch $@ $(VENV)/.base.stamp

# --- Verbs -----------------------------------------------------------------------------------

run: $(VENV)/.base.stamp
	@$(PY) -c 'import socket, sys; sys.exit(socket.socket().connect_ex(("$(HOST)", $(PORT))) == 0)' \
		|| { echo "error: something already answers on $(HOST):$(PORT); stop it or use make run PORT=8001" >&2; exit 1; }
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo_data
	@echo
	@echo "Kefu: http://$(HOST):$(PORT)   (web, API at /api/v1/ and a worker; Ctrl-C stops them)"
	@echo
	HOST=$(HOST) $(VENV)/bin/honcho --procfile Procfile.dev --app-root . start --port $(PORT)

test: $(VENV)/.dev.stamp
	@bash scripts/ensure-chromium.sh
	@bash scripts/ensure-wrk.sh  # the load bench's own test (tests/tickets/test_open_load_bench.py) runs wrk
	@command -v xgettext >/dev/null || bash scripts/apt-install.sh gettext  # the catalogue test extracts strings
	$(PY) -m pytest $(if $(filter-out 0,$(TEST_WORKERS)),-n $(TEST_WORKERS) --dist loadgroup) $(PYTEST_ARGS)

# Each check is its own target, so that `make -k lint` (CI) reports every failing one.
lint: lint-ruff lint-format lint-django lint-migrations lint-mypy lint-imports

lint-ruff: $(VENV)/.dev.stamp
	$(VENV)/bin/ruff check .

lint-format: $(VENV)/.dev.stamp
	$(VENV)/bin/ruff format --check .

lint-django: $(VENV)/.dev.stamp
	$(PY) manage.py check --fail-level WARNING

lint-migrations: $(VENV)/.dev.stamp
	$(PY) manage.py makemigrations --check --dry-run

# Services and selectors, with django-stubs ([tool.mypy] in pyproject.toml).
lint-mypy: $(VENV)/.dev.stamp
	$(VENV)/bin/mypy

# The direction of dependencies between the apps: the contracts in [tool.importlinter] (decision 0013).
lint-imports: $(VENV)/.dev.stamp
	PYTHONPATH=src $(VENV)/bin/lint-imports --no-logo --no-cache

bench: $(VENV)/.dev.stamp
	@bash scripts/ensure-wrk.sh  # the load figure's client (bench/ticket_open_load.py)
	$(PY) -m bench --size $(SIZE)

# uv resolves the direct dependencies in pyproject.toml and pins every package with its hashes.
# Versions already pinned stay unless pyproject.toml needs another; UPGRADE=1 takes the newest.
lock: | $(PY)
	$(PIP) install --quiet uv
	$(VENV)/bin/uv pip compile pyproject.toml --python-version 3.11 --generate-hashes \
		$(if $(UPGRADE),--upgrade) -o requirements/base.txt
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes \
		$(if $(UPGRADE),--upgrade) -o requirements/dev.txt

# makemessages extracts into src/kefu/locale only; compilemessages compiles every catalogue in
# LOCALE_PATHS, also the hand-kept src/kefu/locale_vendor (Chinese for packages that ship none).
messages: $(VENV)/.dev.stamp
	@command -v xgettext >/dev/null || bash scripts/apt-install.sh gettext
	cd src/kefu && ../../$(PY) ../../manage.py makemessages -l zh_Hans --domain django \
		--ignore 'static/*' --no-obsolete
	cd src/kefu && ../../$(PY) ../../manage.py compilemessages -l zh_Hans

vendor:
	bash scripts/vendor-static.sh

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache test-results
	find . -name __pycache__ -type d -prune -not -path './node_modules/*' -exec rm -rf {} +
