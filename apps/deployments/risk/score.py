"""The risk score itself, pure: from the numbers the records give (`RiskInputs`) to a score of 0–100 and each
factor's contribution, with the value behind it and a sentence saying why (no black box).

Each factor has a weight (the weights add up to 100) and a level from 0 to 1; its contribution is weight × level,
and the score is the rounded sum, so it is always between 0 and 100 and the contributions explain all of it.
"""

from dataclasses import dataclass, field

WINDOW_DAYS = 90  # failure rates and incidents: the 90 days before the deployment is scored
EXPERIENCE_DAYS = 365  # a practitioner's experience: finished deployments in the environment over the past year
MIN_SAMPLE = 4  # a failure rate is counted over at least this many deployments (one failure of one is not 100 %)
RATE_FULL = 0.30  # a failure rate of 30 % or more gives the factor its full weight
INCIDENTS_FULL = 3  # three incidents after recent deployments of the same components: full weight
VERSIONS_FULL = 5  # five component versions or more in one deployment: full weight (one version: none)
EXPERIENCE_FULL = 5  # five finished deployments in the environment: no weight
NEAR_FREEZE_HOURS = 24  # a window within a day of a freeze counts as near it

# factor code → (label, weight); the weights add up to 100
FACTORS = {
    "model_failure_rate": ("Model failure rate (90 days)", 15),
    "service_failure_rate": ("Service failure rate (90 days)", 15),
    "component_incidents": ("Incidents after recent deployments of these components", 15),
    "change_size": ("Size of the change", 10),
    "freeze": ("Freeze window", 10),
    "maintenance_window": ("Maintenance window", 5),
    "first_to_environment_kind": ("First deployment to this kind of environment", 15),
    "practitioner_experience": ("Practitioner experience in the environment", 15),
}
assert sum(weight for _, weight in FACTORS.values()) == 100


@dataclass(frozen=True)
class RiskInputs:
    """What the records say about a planned deployment, counted as of one moment (see selectors.risk_inputs)."""

    model: str = ""  # the model's name, "" when it is not under one
    model_finished: int = 0
    model_failed: int = 0
    service: str = ""
    service_finished: int = 0
    service_failed: int = 0
    component_deployments: int = 0  # recent finished deployments of the same components
    component_incidents: int = 0  # incidents attributed to them (not withdrawn)
    versions: int = 0
    windowed: bool = True  # False: no window planned yet
    freeze: str = ""  # "inside", "near" or "" (clear)
    freeze_name: str = ""
    maintenance_required: bool = False
    outside_maintenance: bool = False
    removal: bool = False
    new_versions: int = 0  # versions never completed in an environment of this kind
    environment: str = ""
    environment_kind: str = ""
    practitioners: tuple = field(default_factory=tuple)  # (name, finished deployments in the environment)
    # not an input: the deployment id taken in the same round trip when asked for (risk_inputs' `next_id`)
    next_id: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Factor:
    """One factor's part of the score: `value` is the number behind it, in words; `detail` says why."""

    factor: str
    label: str
    weight: int
    level: float
    value: str
    detail: str

    @property
    def contribution(self) -> float:
        return round(self.weight * self.level, 1)

    def as_dict(self) -> dict:
        return {
            "factor": self.factor,
            "label": self.label,
            "value": self.value,
            "contribution": self.contribution,
            "weight": self.weight,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Assessment:
    score: int
    factors: list[Factor]

    def factors_data(self) -> list[dict]:
        return [f.as_dict() for f in self.factors]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def _factor(code: str, level: float, value: str, detail: str) -> Factor:
    label, weight = FACTORS[code]
    return Factor(code, label, weight, min(max(level, 0.0), 1.0), value, detail)


def _rate(code: str, what: str, name: str, finished: int, failed: int) -> Factor:
    if not name:
        return _factor(code, 0, "no model", "Not under a deployment model: there is no model failure rate.")
    if not finished:
        return _factor(code, 0, "0 finished", f"No deployment of {name} finished in the last {WINDOW_DAYS} days.")
    rate = failed / finished
    counted = failed / max(finished, MIN_SAMPLE)
    detail = (
        f"{failed} of {finished} deployments of {what} {name} that finished in the last {WINDOW_DAYS} days failed or "
        f"were rolled back ({rate:.0%}); {RATE_FULL:.0%} or more gives the full weight"
    )
    if finished < MIN_SAMPLE:
        detail += f", and fewer than {MIN_SAMPLE} deployments count as {MIN_SAMPLE}"
    return _factor(code, counted / RATE_FULL, f"{failed} of {finished} ({rate:.0%})", detail + ".")


def _incidents(i: RiskInputs) -> Factor:
    value = f"{i.component_incidents} after {_plural(i.component_deployments, 'deployment')}"
    detail = (
        f"{i.component_incidents} incident(s) attributed to the {i.component_deployments} deployment(s) of the same "
        f"components that finished in the last {WINDOW_DAYS} days; {INCIDENTS_FULL} or more give the full weight."
    )
    return _factor("component_incidents", i.component_incidents / INCIDENTS_FULL, value, detail)


def _size(i: RiskInputs) -> Factor:
    detail = (
        f"{i.versions} component version(s) change together; one adds nothing, {VERSIONS_FULL} or more give the full "
        "weight."
    )
    return _factor("change_size", (i.versions - 1) / (VERSIONS_FULL - 1), _plural(i.versions, "version"), detail)


def _freeze(i: RiskInputs) -> Factor:
    if not i.windowed:
        return _factor("freeze", 0, "no window", "No window planned yet: freezes are not known.")
    if i.freeze == "inside":
        return _factor("freeze", 1, "inside", f"The window overlaps the freeze “{i.freeze_name}”.")
    if i.freeze == "near":
        return _factor(
            "freeze",
            0.5,
            "near",
            f"The window is within {NEAR_FREEZE_HOURS} hours of the freeze “{i.freeze_name}” (half the weight).",
        )
    return _factor("freeze", 0, "clear", f"No freeze within {NEAR_FREEZE_HOURS} hours of the window.")


def _maintenance(i: RiskInputs) -> Factor:
    if not i.maintenance_required:
        return _factor("maintenance_window", 0, "not required", f"{i.environment} needs no maintenance window.")
    if not i.windowed:
        return _factor("maintenance_window", 0, "no window", "No window planned yet.")
    if i.outside_maintenance:
        return _factor(
            "maintenance_window", 1, "outside", f"The window is outside the maintenance windows of {i.environment}."
        )
    return _factor("maintenance_window", 0, "inside", f"The window is inside a maintenance window of {i.environment}.")


def _first(i: RiskInputs) -> Factor:
    code, kind = "first_to_environment_kind", i.environment_kind
    if i.removal:
        return _factor(code, 0, "removal", "A removal deploys no new version.")
    if not i.versions:
        return _factor(code, 0, "no versions", "No component version named yet.")
    value = f"{i.new_versions} of {i.versions} new"
    detail = (
        f"{i.new_versions} of the {i.versions} version(s) never completed a deployment to a {kind} environment "
        "before; the share of new ones gives the weight."
    )
    return _factor(code, i.new_versions / i.versions, value, detail)


def _experience(i: RiskInputs) -> Factor:
    code = "practitioner_experience"
    if not i.practitioners:
        return _factor(code, 0.5, "none assigned", "No practitioner assigned yet: half the weight, as it is unknown.")
    name, done = min(i.practitioners, key=lambda p: (p[1], p[0]))
    detail = (
        f"The least experienced assigned practitioner, {name}, finished {done} deployment(s) in {i.environment} in "
        f"the past year; {EXPERIENCE_FULL} or more add nothing."
    )
    return _factor(code, 1 - done / EXPERIENCE_FULL, f"{name}: {done}", detail)


def risk_assess(inputs: RiskInputs) -> Assessment:
    """The score (0–100) and its factors, in the order of FACTORS."""
    factors = [
        _rate("model_failure_rate", "model", inputs.model, inputs.model_finished, inputs.model_failed),
        _rate("service_failure_rate", "service", inputs.service, inputs.service_finished, inputs.service_failed),
        _incidents(inputs),
        _size(inputs),
        _freeze(inputs),
        _maintenance(inputs),
        _first(inputs),
        _experience(inputs),
    ]
    score = round(sum(f.weight * f.level for f in factors))
    return Assessment(score=min(max(score, 0), 100), factors=factors)
