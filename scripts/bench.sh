#!/usr/bin/env bash
# `make bench`: a fresh PostgreSQL database, the bench_seed data set, then the benchmark over gunicorn.
# BENCH_SIZE (default 1000000), BENCH_DB (default deploydesk_bench), PGHOST/PGPORT/PGUSER as for psql.
# BENCH_ARGS go to `manage.py bench` (e.g. --repeats 7 --compare bench/results/ci-10k.json, as CI runs it).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${BENCH_SIZE:-1000000}
DB=${BENCH_DB:-deploydesk_bench}
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
export DATABASE_URL="postgres://${PGUSER}@${PGHOST}:${PGPORT}/${DB}"
export DJANGO_SETTINGS_MODULE=config.settings.bench
dropdb --if-exists "$DB"
createdb "$DB"
# SSD storage, as the README advises for production: a random read costs about what a sequential one does
psql -qc "ALTER DATABASE \"$DB\" SET random_page_cost = 1.1" postgres
.venv/bin/python manage.py migrate --noinput -v0
.venv/bin/python manage.py bench_seed --deployments "$SIZE"
.venv/bin/python manage.py bench ${BENCH_ARGS:-}
