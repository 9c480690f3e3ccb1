"""The guide's two success factors of the deployment management practice, which metric serves which, whether higher
or lower is better, and each metric's red/amber/green status against the target a manager set.

Kept apart from the metric table (kpi_metrics) and from how the figures are computed (kpis), so a metric added there
only needs its line in GOALS here; a test checks that every metric has one."""

from dataclasses import dataclass

from apps.reports.models import KpiTarget
from apps.reports.selectors.kpi_metrics import METRICS

HIGHER, LOWER = "higher", "lower"
GREEN, AMBER, RED, NONE = "green", "amber", "red", "none"
STATUSES = (GREEN, AMBER, RED, NONE)
DEFAULT_BAND_SHARE = 0.1  # with no band set (by the manager or the metric), amber reaches 10% past the target


@dataclass(frozen=True)
class SuccessFactor:
    key: str
    title: str
    description: str


APPROACHES, DELIVERY = "approaches", "delivery"
# The practice guide's two practice success factors (PSFs), in the words of the stored summary of the guide we could
# read; the guide's own text was not available to check the exact wording.
SUCCESS_FACTORS: dict[str, SuccessFactor] = {
    APPROACHES: SuccessFactor(
        APPROACHES,
        "Establishing and maintaining deployment approaches aligned with stakeholders' needs",
        "The agreed deployment models are used, kept compliant, and suit the consumers, partners and the pace of "
        "change they need.",
    ),
    DELIVERY: SuccessFactor(
        DELIVERY,
        "Ensuring effective and efficient deployment within the value streams",
        "Deployments succeed, on schedule and without incidents, quickly and often, and production recovers fast.",
    ),
}

SUCCESS_FACTOR_CHOICES = [(key, factor.title) for key, factor in SUCCESS_FACTORS.items()]


@dataclass(frozen=True)
class Goal:
    """Where a metric belongs and which way is good; `band` is the default amber band in the metric's unit (None:
    10% of the target)."""

    factor: str
    better: str
    band: float | None = None


GOALS: dict[str, Goal] = {
    # approaches aligned with stakeholders' needs
    "model_adoption_rate": Goal(APPROACHES, HIGHER, 5),
    "compliance_exceptions": Goal(APPROACHES, LOWER),
    "audit_findings": Goal(APPROACHES, LOWER),
    "satisfaction_rate_of_change": Goal(APPROACHES, HIGHER, 0.5),
    "partner_alignment": Goal(APPROACHES, HIGHER, 0.5),
    # effective and efficient deployment
    "success_rate": Goal(DELIVERY, HIGHER, 5),
    "failures": Goal(DELIVERY, LOWER),
    "incident_rate": Goal(DELIVERY, LOWER, 5),
    "schedule_adherence": Goal(DELIVERY, HIGHER, 5),
    "backlog": Goal(DELIVERY, LOWER),
    "throughput_per_week": Goal(DELIVERY, HIGHER),
    "lead_time_median_hours": Goal(DELIVERY, LOWER),
    "lead_time_p90_hours": Goal(DELIVERY, LOWER),
    "release_lag_median_hours": Goal(DELIVERY, LOWER),
    "satisfaction_lead_time": Goal(DELIVERY, HIGHER, 0.5),
    "satisfaction_quality": Goal(DELIVERY, HIGHER, 0.5),
    "deployment_frequency_per_week": Goal(DELIVERY, HIGHER),
    "change_failure_rate": Goal(DELIVERY, LOWER, 5),
    "time_to_restore_median_hours": Goal(DELIVERY, LOWER),
}

# The bounds a target may take, per unit (None: no upper bound).
UNIT_BOUNDS: dict[str, tuple[float, float | None]] = {
    "%": (0, 100),
    "rating": (1, 5),
    "count": (0, None),
    "per week": (0, None),
    "hours": (0, None),
}


def goal_of(metric: str) -> Goal:
    """The metric's goal; a metric not (yet) in GOALS counts for delivery, lower-is-better only when it is hours."""
    goal = GOALS.get(metric)
    if goal is not None:
        return goal
    unit = METRICS[metric].unit if metric in METRICS else ""
    return Goal(DELIVERY, LOWER if unit == "hours" else HIGHER)


def amber_band(*, target: float, band: float | None, metric: str) -> float:
    """The band in force: the manager's, else the metric's default, else 10% of the target."""
    if band is not None:
        return abs(band)
    default = goal_of(metric).band
    return abs(default) if default is not None else abs(target) * DEFAULT_BAND_SHARE


def rag_status(*, value: float | None, target: float | None, better: str, band: float) -> str:
    """`green` when the value meets the target (on its good side, or equal), `amber` when it misses by at most
    `band`, `red` beyond; `none` without a value or a target."""
    if value is None or target is None:
        return NONE
    # positive: better than the target; rounded so that 94.99999 against 95 with band 5 does not flip colour
    gap = round((value - target) if better == HIGHER else (target - value), 9)
    if gap >= 0:
        return GREEN
    if gap >= -round(band, 9):
        return AMBER
    return RED


def kpi_target_map() -> dict[str, KpiTarget]:
    """Every target, by metric (one query)."""
    return {t.metric: t for t in KpiTarget.objects.select_related("set_by")}


@dataclass
class Scored:
    """One metric's value against its target."""

    key: str
    value: float | int | None
    target: float | None
    amber_band: float | None
    status: str
    success_factor: str
    better: str
    target_row: KpiTarget | None = None

    def as_dict(self) -> dict:
        return {
            "value": self.value,
            "target": self.target,
            "amber_band": self.amber_band,
            "status": self.status,
            "success_factor": self.success_factor,
            "better": self.better,
        }


def score(*, key: str, value, targets: dict[str, KpiTarget]) -> Scored:
    goal = goal_of(key)
    row = targets.get(key)
    if row is None:
        return Scored(key, value, None, None, NONE, goal.factor, goal.better)
    band = amber_band(target=row.target, band=row.amber_band, metric=key)
    status = rag_status(value=value, target=row.target, better=goal.better, band=band)
    return Scored(key, value, row.target, band, status, goal.factor, goal.better, row)


def kpi_scores(values: dict, *, targets: dict[str, KpiTarget]) -> dict[str, Scored]:
    """`values`: metric key → KpiValue (a KpiReport's values). Every metric scored against its target."""
    return {key: score(key=key, value=kpi.value, targets=targets) for key, kpi in values.items()}


def by_success_factor(keys) -> list[tuple[SuccessFactor, list[str]]]:
    """The metric keys grouped under the two success factors, in the order given."""
    groups: dict[str, list[str]] = {key: [] for key in SUCCESS_FACTORS}
    for key in keys:
        groups[goal_of(key).factor].append(key)
    return [(SUCCESS_FACTORS[factor], members) for factor, members in groups.items()]
