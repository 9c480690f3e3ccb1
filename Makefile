# Deploydesk: `make run` starts the demo, `make test` runs every check.
# The newest of python3.13, python3.12 and python3.11 that runs here; `make run PYTHON=/path/to/python` overrides it.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11; do \
	$$p -c 'import sys; assert sys.version_info >= (3, 11)' >/dev/null 2>&1 && { echo $$p; break; }; done)
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test test-deps lint migrate demo bench backup restore docs clean

$(STAMP): requirements.lock
	@test -x $(PY) || test -n "$(PYTHON)" || { echo "deploydesk needs Python 3.11, 3.12 or 3.13:" \
		"none of python3.13, python3.12, python3.11 runs here; install one or pass PYTHON=/path/to/python3"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	touch $(STAMP)

install: $(STAMP)

migrate: install
	DJANGO_SETTINGS_MODULE=config.settings.dev $(PY) manage.py migrate --noinput

demo: migrate
	DJANGO_SETTINGS_MODULE=config.settings.dev $(PY) manage.py seed_demo

run: demo
	DJANGO_SETTINGS_MODULE=config.settings.dev bash scripts/run.sh

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run

# What the tests need beside the locked packages: Chromium, slapd and the LDAP headers from Debian's packages
# (installed with apt-get when missing; one clear line naming the command when they cannot be), then the LDAP
# sign-in packages (requirements-ldap.lock; python-ldap builds against those headers).
test-deps: install
	bash scripts/test-deps.sh
	$(PY) -m pip install --quiet -r requirements-ldap.lock

PYTEST_ARGS ?= -q -n 2
test: test-deps lint
	$(VENV)/bin/pytest $(PYTEST_ARGS)

bench: install
	bash scripts/bench.sh

backup: install
	$(PY) manage.py backup

# make restore FILE=backups/deploydesk-20261126-101500.dump
restore: install
	$(PY) manage.py restore "$(FILE)" --yes

docs: install
	bash scripts/docs.sh

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
