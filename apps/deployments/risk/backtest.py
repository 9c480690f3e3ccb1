"""The risk back-test: score the finished deployments as of their planned start (only the records from before it)
and measure how well the score separated the failed ones from the successful ones — the area under the ROC curve
(AUC), computed with the Mann–Whitney U statistic: 1.0 when every failed deployment scored above every successful
one, 0.5 for a score no better than chance, 0.0 when the order is reversed.

What can still leak from after the planned start: freeze and maintenance windows are read as they are defined
today, and an incident attributed later counts when it was opened before the planned start (its `opened_at`).
The practitioners and versions are those recorded on the deployment, which the process fixes before it runs."""

import time
from collections.abc import Sequence

from django.utils import timezone

from apps.deployments import workflow
from apps.deployments.models import Deployment, RiskBacktest
from apps.deployments.risk.score import FACTORS
from apps.deployments.risk.services import deployment_risk_assess

DEFAULT_LIMIT = 1000  # the most recently planned finished deployments one run scores (about 25 ms each)

LEAKS = (
    "Freeze and maintenance windows are read as defined today; an incident counts by when it was opened, even if it "
    "was attributed after the planned start."
)


def auc_mann_whitney(failed: Sequence[float], succeeded: Sequence[float]) -> float | None:
    """P(a failed deployment scored higher than a successful one), ties counting a half: U / (n_failed ×
    n_succeeded), with U from the rank sum of the failed scores (average ranks for ties). None when a side is empty."""
    if not failed or not succeeded:
        return None
    scores = sorted([(s, 1) for s in failed] + [(s, 0) for s in succeeded])
    rank_sum, i = 0.0, 0
    while i < len(scores):
        j = i
        while j < len(scores) and scores[j][0] == scores[i][0]:
            j += 1
        average_rank = (i + 1 + j) / 2  # ranks i+1 … j share their average
        rank_sum += average_rank * sum(flag for _, flag in scores[i:j])
        i = j
    n_failed, n_succeeded = len(failed), len(succeeded)
    u = rank_sum - n_failed * (n_failed + 1) / 2
    return u / (n_failed * n_succeeded)


def _mean(values: list) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def risk_backtest_run(*, limit: int = DEFAULT_LIMIT) -> dict:
    """Score the `limit` most recently planned finished deployments as of their planned start; returns the counts,
    the AUC, the mean score and the mean contribution of each factor for failed and for successful deployments."""
    started = time.monotonic()
    finished = (
        Deployment.objects.filter(status__in=workflow.FINISHED, planned_start__isnull=False)
        .select_related("model", "service", "environment")
        .prefetch_related("component_versions", "practitioners")
        .order_by("-planned_start", "-id")[:limit]
    )
    scores: dict[bool, list[int]] = {True: [], False: []}
    factors: dict[bool, dict[str, list[float]]] = {True: {f: [] for f in FACTORS}, False: {f: [] for f in FACTORS}}
    first = last = None
    for deployment in finished:
        assessment = deployment_risk_assess(deployment=deployment, as_of=deployment.planned_start)
        failed = deployment.status in workflow.UNSUCCESSFUL
        scores[failed].append(assessment.score)
        for factor in assessment.factors:
            factors[failed][factor.factor].append(factor.contribution)
        first = deployment.planned_start if first is None else min(first, deployment.planned_start)
        last = deployment.planned_start if last is None else max(last, deployment.planned_start)
    auc = auc_mann_whitney(scores[True], scores[False])
    return {
        "scored": len(scores[True]) + len(scores[False]),
        "failed": len(scores[True]),
        "succeeded": len(scores[False]),
        "auc": None if auc is None else round(auc, 4),
        "mean_score_failed": _mean(scores[True]),
        "mean_score_succeeded": _mean(scores[False]),
        "period_start": first,
        "period_end": last,
        "seconds": round(time.monotonic() - started, 1),
        "factors": {
            code: {"failed": _mean(factors[True][code]), "succeeded": _mean(factors[False][code])} for code in FACTORS
        },
        "leaks": LEAKS,
        "limit": limit,
    }


def risk_backtest_record(*, limit: int = DEFAULT_LIMIT) -> RiskBacktest:
    """Run the back-test and keep its result (the KPI page shows the last one); a derived figure, not audited."""
    result = risk_backtest_run(limit=limit)
    return RiskBacktest.objects.create(
        ran_at=timezone.now(),
        scored=result["scored"],
        failed=result["failed"],
        succeeded=result["succeeded"],
        auc=result["auc"],
        mean_score_failed=result["mean_score_failed"],
        mean_score_succeeded=result["mean_score_succeeded"],
        period_start=result["period_start"],
        period_end=result["period_end"],
        seconds=result["seconds"],
        detail={"factors": result["factors"], "leaks": result["leaks"], "limit": limit},
    )


def risk_backtest_latest() -> RiskBacktest | None:
    """The last back-test run, or None (one indexed read)."""
    return RiskBacktest.objects.order_by("-ran_at", "-id").first()
