#!/usr/bin/env bash
# Starts the Deploydesk web server and the django-q2 worker together; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
HOST=${DEPLOYDESK_HOST:-127.0.0.1}
PORT=${DEPLOYDESK_PORT:-8000}

$PY manage.py qcluster &
WORKER=$!
$PY manage.py runserver "$HOST:$PORT" --noreload &
WEB=$!
stop() { kill "$WEB" "$WORKER" 2>/dev/null || true; wait 2>/dev/null || true; echo "Deploydesk stopped."; }
trap stop INT TERM EXIT

cat <<MSG

  Deploydesk is running at http://$HOST:$PORT/   (worker pid $WORKER, web pid $WEB)
  Demo logins (local demo only; password = demo-<username>):
$($PY manage.py seed_demo --list)
  Press Ctrl-C to stop the web server and the worker.

MSG
wait -n "$WEB" "$WORKER"
