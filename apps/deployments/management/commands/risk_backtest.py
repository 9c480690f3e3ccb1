"""`manage.py risk_backtest`: score the finished deployments as of their planned start and report how well the risk
score separated the failed ones from the successful ones (AUC); the result is kept for the KPI page."""

import json

from django.core.management.base import BaseCommand, CommandError

from apps.deployments.risk.backtest import DEFAULT_LIMIT, risk_backtest_record, risk_backtest_run


class Command(BaseCommand):
    help = "Back-test the risk score on the finished deployments: AUC (Mann–Whitney) and counts."

    def add_arguments(self, parser):
        parser.add_argument(
            "--limit", type=int, default=DEFAULT_LIMIT, help="Score the N most recently planned finished deployments."
        )
        parser.add_argument("--json", action="store_true", help="Print the result as JSON.")
        parser.add_argument("--dry-run", action="store_true", help="Do not keep the result for the KPI page.")

    def handle(self, *args, **options):
        limit = options["limit"]
        if limit < 1:
            raise CommandError("--limit must be at least 1.")
        if options["dry_run"]:
            result = risk_backtest_run(limit=limit)
        else:
            run = risk_backtest_record(limit=limit)
            result = {
                "id": run.pk,
                "scored": run.scored,
                "failed": run.failed,
                "succeeded": run.succeeded,
                "auc": run.auc,
                "mean_score_failed": run.mean_score_failed,
                "mean_score_succeeded": run.mean_score_succeeded,
                "period_start": run.period_start,
                "period_end": run.period_end,
                "seconds": run.seconds,
                **run.detail,
            }
        if options["json"]:
            self.stdout.write(json.dumps(result, default=str, indent=2))
            return
        auc = "n/a (needs failed and successful deployments)" if result["auc"] is None else f"{result['auc']:.3f}"
        self.stdout.write(
            f"Risk back-test over {result['scored']} finished deployments "
            f"({result['failed']} failed or rolled back, {result['succeeded']} completed): AUC {auc}\n"
            f"Mean score: failed {result['mean_score_failed']}, completed {result['mean_score_succeeded']} "
            f"({result['seconds']} s)"
        )
