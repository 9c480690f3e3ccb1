#!/usr/bin/env bash
# Fuzzes the whole REST API from its own OpenAPI schema with schemathesis: no input may give a 500, and every
# response must match the schema. Starts a throwaway Deploydesk (dev settings, SQLite file under /tmp, demo data,
# a token of the demo `manager`) on a free port of 127.0.0.1, runs a bounded schemathesis, stops the server.
# Exit status: schemathesis's (non-zero on any server error or schema violation), or 1 if the setup failed.
#   Usage: scripts/schemathesis.sh [--max-examples N] [extra schemathesis options…]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY="$ROOT/.venv/bin/python"
VERSION=4.32.5
MAX_EXAMPLES=20
if [[ "${1:-}" == "--max-examples" ]]; then MAX_EXAMPLES=$2; shift 2; fi

if ! "$ROOT/.venv/bin/schemathesis" --version 2>/dev/null | grep -q "$VERSION"; then
  echo "=== installing schemathesis==$VERSION into .venv"
  "$PY" -m pip install --quiet "schemathesis==$VERSION"
fi

WORK=$(mktemp -d /tmp/deploydesk-schemathesis.XXXXXX)
export DJANGO_SETTINGS_MODULE=config.settings.dev
export DATABASE_URL="sqlite:///$WORK/db.sqlite3"
export DJANGO_DEBUG=false DJANGO_ALLOWED_HOSTS=127.0.0.1
# the fuzzer sends thousands of requests a minute with one token: limits far above them (429 is documented anyway)
export DEPLOYDESK_THROTTLE_USER=1000000/minute DEPLOYDESK_THROTTLE_ANON=1000000/minute
export DEPLOYDESK_THROTTLE_HOOKS=1000000/minute
# inbound deployment events switched on, acting as the demo manager, so the fuzzer reaches past the signature check
export DEPLOYDESK_GITHUB_WEBHOOK_SECRET=schemathesis DEPLOYDESK_GITLAB_WEBHOOK_TOKEN=schemathesis
export DEPLOYDESK_HOOKS_USER=manager
PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
SERVER=""
stop() {
  if [[ -n "$SERVER" ]]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap stop EXIT INT TERM

echo "=== preparing a throwaway database in $WORK"
"$PY" manage.py migrate --noinput >/dev/null
"$PY" manage.py seed_demo >/dev/null
KEY=$("$PY" manage.py api_token_for manager --name "schemathesis $(date +%s)")
# Random ids rarely hit a real deployment: pin the nested deployments operations to a demo one that is approved.
DEPLOYMENT=$("$PY" manage.py shell -v 0 -c 'from apps.deployments.models import Deployment as D
d = D.objects.filter(status="approved").order_by("id").first() or D.objects.order_by("id").first()
print(d.pk if d else 1)' | tail -n 1)
# … and the records of one environment (clearances, standing checks) to the demo's production environment.
ENVIRONMENT=$("$PY" manage.py shell -v 0 -c 'from apps.environments.models import Environment as E
e = E.objects.filter(slug="production").first() or E.objects.order_by("id").first()
print(e.pk if e else 1)' | tail -n 1)
# … and the build gate's query to a demo build (its environment, component and version).
read -r GATE_ENV GATE_COMPONENT GATE_VERSION < <("$PY" manage.py shell -v 0 -c 'from apps.catalog.models import ComponentVersion as V
from apps.environments.models import Environment as E
v, e = V.objects.order_by("id").first(), E.objects.order_by("id").first()
print(e.pk if e else 1, v.component_id if v else 1, v.version if v else "1.0.0")' | tail -n 1)
cat >"$WORK/schemathesis.toml" <<TOML
[[operations]]
include-path-regex = '^/api/v1/deployments/[{]id[}]/'
parameters = { "path.id" = $DEPLOYMENT }

[[operations]]
include-path-regex = '^/api/v1/environments/[{]environment_id[}]/'
parameters = { "path.environment_id" = $ENVIRONMENT }

[[operations]]
include-path-regex = '^/api/v1/gate/$'
parameters = { "query.environment" = "$GATE_ENV", "query.component" = "$GATE_COMPONENT", "query.version" = "$GATE_VERSION" }
TOML

echo "=== starting Deploydesk on http://127.0.0.1:$PORT/"
"$ROOT/.venv/bin/gunicorn" config.wsgi:application --bind "127.0.0.1:$PORT" --workers 1 --threads 4 \
  --timeout 60 --log-level warning >"$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 60); do
  curl -fsS -o /dev/null "http://127.0.0.1:$PORT/health/" 2>/dev/null && break
  if ! kill -0 "$SERVER" 2>/dev/null; then cat "$WORK/server.log"; exit 1; fi
  sleep 0.5
done

echo "=== schemathesis run (max $MAX_EXAMPLES examples per operation)"
status=0
(cd "$WORK" && "$ROOT/.venv/bin/schemathesis" run "http://127.0.0.1:$PORT/api/schema/" \
  -H "Authorization: Token $KEY" \
  --checks not_a_server_error,response_schema_conformance \
  --max-examples "$MAX_EXAMPLES" \
  --phases examples,fuzzing \
  --workers 4 \
  --seed 20260101 \
  --request-timeout 30 \
  --generation-database none \
  --no-color \
  --report ndjson --report-ndjson-path "$WORK/events.ndjson" \
  "$@") || status=$?

[[ -f "$WORK/events.ndjson" ]] && "$PY" - "$WORK/events.ndjson" <<'PYTHON' || true
"""Counts the operations and test cases schemathesis tried, from its NDJSON event stream."""
import json, sys
operations, cases = set(), 0
for line in open(sys.argv[1], encoding="utf-8"):
    event = json.loads(line)
    for name, body in event.items():
        if name == "ScenarioFinished" and isinstance(body, dict):
            label = body.get("label") or (body.get("recorder") or {}).get("label")
            if label:
                operations.add(label)
            cases += len((body.get("recorder") or {}).get("cases", {}))
print(f"=== schemathesis tried {len(operations)} operations and {cases} test cases")
PYTHON
if grep -q "Internal Server Error\|Traceback" "$WORK/server.log"; then
  echo "=== server errors logged:"; grep -A30 "Traceback" "$WORK/server.log" | head -120
  status=${status:-1}; [[ $status -eq 0 ]] && status=1
fi
exit $status
