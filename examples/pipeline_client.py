#!/usr/bin/env python3
"""A CI/CD pipeline's side of an automated deployment in Deploydesk, with the standard library only.

It registers the deployment of one build (component + version + checksum) into an environment under a
deployment model, submits it, waits for approval when the model's stage is not pre-approved, starts it,
records every check with evidence (the component checks with the checksum the pipeline observed), optionally
runs the real deployment command, and completes it -- or marks it failed. Every step lands on the deployment's
timeline on the "api" channel with the name of the token used.

    export DEPLOYDESK_TOKEN=...            # a token of a service account (Deployment practitioner or manager)
    python examples/pipeline_client.py --url https://deploydesk.example --service 3 --component 7 \\
        --version 2.0.0 --checksum "$(sha256sum image.tar | cut -d' ' -f1)" --environment 2 --model 4 \\
        --repository-ref oci://registry/shop-web:2.0.0 --command "./deploy.sh 2.0.0"

--service, --component, --environment and --model take ids, or names (slug or name) looked up through the API.
A practitioner's token may name only a build that is registered in the catalog already; registering a new one
takes a deployment manager's token (or an owner of the service). The run is idempotent: the POST carries an
`Idempotency-Key` (from --external-id), so running the same command again resumes the same deployment.

Exit codes: 0 completed; 1 refused, failed, rejected or unreachable; 2 bad usage; 3 timed out waiting for approval.
"""

import argparse
import datetime as dt
import json
import os
import subprocess  # noqa: S404 -- runs the operator's own --command
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

FINAL_BAD = {"failed", "rolled_back", "cancelled", "rejected"}


class ApiError(Exception):
    def __init__(self, status: int, body: dict):
        self.status, self.body = status, body
        detail = body.get("detail", body)
        conflicts = "".join(f"\n  - {c}" for c in body.get("conflicts", []))
        super().__init__(f"HTTP {status}: {detail}{conflicts}")


class Deploydesk:
    """A tiny JSON client for the Deploydesk REST API v1."""

    def __init__(self, url: str, token: str, timeout: float = 30.0):
        self.base = url.rstrip("/") + "/api/v1/"
        self.token, self.timeout = token, timeout

    def call(self, method: str, path: str, body: dict | None = None, headers: dict | None = None) -> tuple[int, dict]:
        url = path if path.startswith("http") else self.base + path.lstrip("/")
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 -- http(s) URL given by the user
        request.add_header("Authorization", f"Token {self.token}")
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            try:
                payload = json.loads(exc.read() or b"{}")
            except ValueError:
                payload = {"detail": exc.reason}
            raise ApiError(exc.code, payload) from None

    def get(self, path: str) -> dict:
        return self.call("GET", path)[1]

    def post(self, path: str, body: dict | None = None, headers: dict | None = None) -> tuple[int, dict]:
        return self.call("POST", path, body or {}, headers)

    def patch(self, path: str, body: dict) -> dict:
        return self.call("PATCH", path, body)[1]

    def all(self, path: str) -> list[dict]:
        """Every row of a paginated list (follows `next`, whatever the pagination style)."""
        rows, url = [], path
        while url:
            page = self.get(url)
            if isinstance(page, list):
                return rows + page
            rows += page.get("results", [])
            url = page.get("next")
        return rows


def log(message: str) -> None:
    print(f"[deploydesk] {message}", flush=True)


def resolve(api: Deploydesk, value: str, resource: str, what: str, **query) -> int:
    """An id as given, or the id of the one `resource` row whose slug or name is `value` (and matches `query`)."""
    if value.isdigit():
        return int(value)
    params = urllib.parse.urlencode({"page_size": 200, **query})
    matches = [
        row["id"]
        for row in api.all(f"{resource}/?{params}")
        if value in (str(row.get("slug", "")), str(row.get("name", "")))
        and all(row.get(k, v) == v for k, v in query.items())
    ]
    if len(matches) != 1:
        raise SystemExit(f"[deploydesk] {what} “{value}”: {len(matches)} matches; give its id.")
    return matches[0]


def record_checks(api: Deploydesk, deployment: dict, kinds: tuple, checksum: str, evidence: str) -> None:
    """Pass the open checks of these kinds, each with its evidence (a required check passes only with evidence)."""
    for check in api.all(f"deployments/{deployment['id']}/checks/"):
        kind = check["kind"]
        if kind not in kinds or check["result"] in ("pass", "n_a"):
            continue
        body = {"result": "pass", "evidence": f"{evidence}: {check['description']}"}
        if kind == "component":
            body["observed_checksum"] = checksum
        result = api.patch(f"deployments/{deployment['id']}/checks/{check['id']}/", body)
        log(f"  check {kind} #{check['id']} “{check['description']}”: {result['result']}")
        if result["result"] != "pass":
            raise ApiError(409, {"detail": f"check “{check['description']}” failed: {result['evidence']}"})


def transition(api: Deploydesk, deployment: dict, name: str, comment: str = "") -> dict:
    body = {"version": deployment["version"]}
    if comment:
        body["comment"] = comment
    _status, result = api.post(f"deployments/{deployment['id']}/{name}/", body)
    log(f"{name}: {deployment['status']} → {result['status']}")
    return result


def wait_for_approval(api: Deploydesk, deployment: dict, timeout: float, interval: float) -> dict:
    """Poll GET deployments/{id}/ until a deployment manager (and any required owner) approved it."""
    deadline = time.monotonic() + timeout
    log(f"waiting for approval of {deployment['reference']} (up to {timeout:.0f} s)")
    while deployment["status"] == "pending_approval":
        if time.monotonic() >= deadline:
            log(f"timed out waiting for approval of {deployment['reference']}")
            raise SystemExit(3)
        time.sleep(interval)
        deployment = api.get(f"deployments/{deployment['id']}/")
    log(f"approval decided: {deployment['status']}")
    return deployment


def run(args: argparse.Namespace) -> int:
    api = Deploydesk(args.url, args.token, timeout=args.http_timeout)
    me = api.get("me/")
    roles = ", ".join(me.get("roles", []))
    log(f"signed in as {me.get('username')} with token “{me.get('token_name')}” (roles: {roles})")
    service = resolve(api, args.service, "services", "service")
    environment = resolve(api, args.environment, "environments", "environment")
    model = resolve(api, args.model, "deployment-models", "model") if args.model else None
    component = resolve(api, args.component, "components", "component", service=service)
    start = dt.datetime.now(dt.UTC).replace(microsecond=0)
    external_id = args.external_id or f"{args.component}-{args.version}-{args.environment}-{start:%Y%m%d%H%M%S}"
    body = {
        "title": args.title or f"Deploy {args.component} {args.version}",
        "service": service,
        "environment": environment,
        "model": model,
        "component": component,
        "version": args.version,
        "repository_ref": args.repository_ref or "",
        "checksum": args.checksum,
        "practitioners": [me["id"]],
        "external_id": external_id,
        "trigger": args.trigger,
        "planned_start": start.isoformat(),
        "planned_end": (start + dt.timedelta(minutes=args.duration_minutes)).isoformat(),
    }
    status, deployment = api.post("deployments/", body, headers={"Idempotency-Key": external_id})
    log(
        f"{'created' if status == 201 else 'resumed'} {deployment['reference']} (id {deployment['id']}): "
        f"{deployment['status']}"
    )

    evidence = f"pipeline {external_id}"
    while deployment["status"] != "completed":
        state = deployment["status"]
        if state in FINAL_BAD:
            log(f"{deployment['reference']} is {state}: {deployment.get('outcome') or 'no outcome given'}")
            return 1
        if state == "draft":
            deployment = transition(api, deployment, "submit", f"Submitted by {evidence}.")
        elif state == "pending_approval":
            deployment = wait_for_approval(api, deployment, args.approval_timeout, args.poll_interval)
        elif state == "approved":
            record_checks(api, deployment, ("entry",), args.checksum, evidence)  # the stage's entry criteria
            deployment = transition(api, api.get(f"deployments/{deployment['id']}/"), "start")
        elif state == "verifying_components":
            record_checks(api, deployment, ("component",), args.checksum, evidence)
            deployment = transition(api, api.get(f"deployments/{deployment['id']}/"), "confirm-components")
        elif state == "verifying_environment":
            record_checks(api, deployment, ("environment",), args.checksum, evidence)
            deployment = transition(api, api.get(f"deployments/{deployment['id']}/"), "confirm-environment")
        elif state == "executing":
            if args.command:
                log(f"running: {args.command}")
                done = subprocess.run(args.command, shell=True, check=False)  # noqa: S602 -- the operator's command
                if done.returncode != 0:
                    transition(api, deployment, "fail", f"`{args.command}` exited with {done.returncode}.")
                    return 1
            deployment = transition(api, deployment, "finish-execution")
        elif state == "verifying":
            record_checks(api, deployment, ("acceptance", "exit"), args.checksum, evidence)
            deployment = transition(
                api, api.get(f"deployments/{deployment['id']}/"), "complete", f"Completed by {evidence}."
            )
        else:
            log(f"unexpected status {state}")
            return 1
    log(f"{deployment['reference']} completed")
    return 0


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="Deploydesk's base URL, e.g. https://deploydesk.example")
    parser.add_argument("--token", default=os.environ.get("DEPLOYDESK_TOKEN"), help="API token (or DEPLOYDESK_TOKEN)")
    parser.add_argument("--service", required=True, help="service id or name")
    parser.add_argument("--component", required=True, help="component id or name")
    parser.add_argument("--version", required=True, help="the build's version string")
    parser.add_argument("--checksum", required=True, help="the build's SHA-256 as the pipeline computed it")
    parser.add_argument("--environment", required=True, help="environment id or slug")
    parser.add_argument("--model", help="deployment model id or name")
    parser.add_argument("--repository-ref", help="where the build is kept (DML / registry URI); for new versions")
    parser.add_argument("--title", help="the deployment's title")
    parser.add_argument("--trigger", default="release", help="why it is deployed (default: release)")
    parser.add_argument("--external-id", help="the pipeline run's id; also the Idempotency-Key")
    parser.add_argument("--command", help="a shell command that performs the deployment while it is executing")
    parser.add_argument("--duration-minutes", type=int, default=60, help="the planned window (default 60)")
    parser.add_argument("--approval-timeout", type=float, default=3600, help="seconds to wait for approval")
    parser.add_argument("--poll-interval", type=float, default=15, help="seconds between approval polls")
    parser.add_argument("--http-timeout", type=float, default=30, help="seconds per HTTP request")
    args = parser.parse_args(argv)
    if not args.token:
        parser.error("give --token or set DEPLOYDESK_TOKEN")
    return args


def run_reporting_errors(run_function, args) -> int:
    """Run a command's body; a refusal or an unreachable server is one line and exit status 1, never a traceback."""
    try:
        return run_function(args)
    except ApiError as exc:
        log(f"refused: {exc}")
        return 1
    except urllib.error.URLError as exc:
        log(f"cannot reach {args.url}: {exc.reason}")
        return 1


def main(argv=None) -> int:
    return run_reporting_errors(run, parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
