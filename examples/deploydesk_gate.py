#!/usr/bin/env python3
"""Ask Deploydesk's gate whether a deployment (or a build not planned yet) may start now; fail with the reasons.

    export DEPLOYDESK_TOKEN=...
    # a build, before the pipeline registers it: may it be planned and started in production now?
    python examples/deploydesk_gate.py --url https://deploydesk.example \\
        --environment production --component shop-web --version 2.0.0 --allow not_approved
    # a deployment already registered (e.g. by examples/pipeline_client.py)
    python examples/deploydesk_gate.py --url https://deploydesk.example --deployment 123

Every reason is printed with its code (not_approved, freeze, outside_maintenance_window, promotion_gap, conflict,
clearance). `--allow CODE` (repeatable) accepts reasons of that code: `--allow not_approved` lets a pipeline go on
to register the deployment and wait for its approval (pipeline_client.py does). `--wait SECONDS` asks again every
`--poll-interval` seconds until the gate opens (say, until a freeze ends). Inside GitHub Actions the reasons also
go to the job summary and as error annotations.

Exit codes: 0 the gate is open; 1 closed (reasons printed) or refused; 2 bad usage; 3 still closed after --wait.
"""

import argparse
import os
import sys
import time
import urllib.error
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pipeline_client import Deploydesk, log, run_reporting_errors  # noqa: E402 -- the example client beside this script

CODES = ("not_approved", "freeze", "outside_maintenance_window", "promotion_gap", "conflict", "clearance")


def ask(api: Deploydesk, args: argparse.Namespace) -> dict:
    if args.deployment:
        return api.get(f"deployments/{args.deployment}/gate/")
    query = {"environment": args.environment, "component": args.component, "version": args.version}
    query.update({k: v for k, v in (("service", args.service), ("model", args.model)) if v})
    return api.get("gate/?" + urllib.parse.urlencode(query))


def blocking(answer: dict, allowed: set[str]) -> list[dict]:
    """The reasons that close the gate for this pipeline (those of an allowed code do not)."""
    if answer.get("may_plan") is False:
        return [{"code": "clearance", "detail": "You may not plan deployments of this build."}, *answer["reasons"]]
    return [r for r in answer.get("reasons", []) if r["code"] not in allowed]


def report(reasons: list[dict], what: str) -> None:
    log(f"the gate is closed for {what}:")
    for reason in reasons:
        log(f"  - {reason['code']}: {reason['detail']}")
        if os.environ.get("GITHUB_ACTIONS") == "true":
            print(f"::error title=Deploydesk gate ({reason['code']})::{reason['detail']}", flush=True)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as out:
            out.write(f"### Deploydesk gate closed for {what}\n\n")
            out.writelines(f"- **{r['code']}**: {r['detail']}\n" for r in reasons)


def run(args: argparse.Namespace) -> int:
    api = Deploydesk(args.url, args.token, timeout=args.http_timeout)
    what = (
        f"deployment {args.deployment}" if args.deployment else f"{args.component} {args.version} in {args.environment}"
    )
    deadline = time.monotonic() + args.wait
    while True:
        answer = ask(api, args)
        reasons = blocking(answer, set(args.allow))
        if not reasons:
            allowed = [r for r in answer["reasons"] if r["code"] in args.allow]
            log(f"the gate is open for {what}" + (f" (allowed: {len(allowed)} reason(s))" if allowed else ""))
            for reason in allowed:
                log(f"  - {reason['code']} (allowed): {reason['detail']}")
            return 0
        if time.monotonic() + args.poll_interval > deadline:
            report(reasons, what)
            return 3 if args.wait else 1
        log(f"the gate is closed for {what} ({', '.join(r['code'] for r in reasons)}); asking again")
        time.sleep(args.poll_interval)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="Deploydesk's base URL, e.g. https://deploydesk.example")
    parser.add_argument("--token", default=os.environ.get("DEPLOYDESK_TOKEN"), help="API token (or DEPLOYDESK_TOKEN)")
    parser.add_argument("--deployment", help="a deployment's id: ask its gate")
    parser.add_argument("--environment", help="a build's target environment (id or slug)")
    parser.add_argument("--component", help="a build's component (id or name)")
    parser.add_argument("--version", help="a build's version string")
    parser.add_argument("--service", help="the component's service (id or name), when its name is not unique")
    parser.add_argument("--model", help="the deployment model (id or name), when several apply")
    parser.add_argument("--allow", action="append", default=[], choices=CODES, help="a reason code to accept")
    parser.add_argument("--wait", type=float, default=0, help="seconds to keep asking while the gate is closed")
    parser.add_argument("--poll-interval", type=float, default=30, help="seconds between asks (with --wait)")
    parser.add_argument("--http-timeout", type=float, default=30, help="seconds per HTTP request")
    args = parser.parse_args(argv)
    if not args.token:
        parser.error("give --token or set DEPLOYDESK_TOKEN")
    if not args.deployment and not (args.environment and args.component and args.version):
        parser.error("give --deployment, or --environment, --component and --version")
    return args


def main(argv=None) -> int:
    return run_reporting_errors(run, parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
