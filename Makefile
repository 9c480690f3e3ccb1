# Deploydesk: `make run` starts the demo, `make test` runs every check.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test lint migrate demo bench backup restore docs clean

$(STAMP): requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	touch $(STAMP)

install: $(STAMP)

migrate: install
	DJANGO_SETTINGS_MODULE=config.settings.dev $(PY) manage.py migrate --noinput

demo: migrate
	DJANGO_SETTINGS_MODULE=config.settings.dev $(PY) manage.py seed_demo
	DJANGO_SETTINGS_MODULE=config.settings.dev $(PY) manage.py setup_schedules

run: demo
	DJANGO_SETTINGS_MODULE=config.settings.dev bash scripts/run.sh

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run

PYTEST_ARGS ?= -q -n 2
test: lint
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
