"""Every write of a KPI target: set (create or change) and clear, each with an audit-chain entry naming who and when.

Only holders of `reports.change_kpitarget` (deployment managers; administrators) may write; auditors and owners read
the targets on the KPI page and in the API."""

import math

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from apps.audit.chain import atomic_audited, audit_append
from apps.audit.context import AuditContext
from apps.core.permissions import user_can
from apps.reports.models import KpiTarget
from apps.reports.selectors.kpi_goals import UNIT_BOUNDS
from apps.reports.selectors.kpi_metrics import METRICS

CHANGE_TARGETS = "reports.change_kpitarget"
REFUSED = "Only deployment managers set KPI targets."
MAX_VALUE = 1e9


def _number(value, field: str, errors: dict) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        errors[field] = "Give a number."
        return None
    if not math.isfinite(number) or abs(number) > MAX_VALUE:
        errors[field] = "Give a finite number of a sensible size."
        return None
    return number


def kpi_target_check(metric: str, target, band) -> tuple[float, float | None]:
    """The target and band as numbers, or a ValidationError naming the field (the admin form asks it too)."""
    errors: dict[str, str] = {}
    if metric not in METRICS:
        raise ValidationError({"metric": "No such KPI."})
    unit = METRICS[metric].unit
    number = _number(target, "target", errors)
    width = _number(band, "amber_band", errors)
    if number is None and "target" not in errors:
        errors["target"] = "Give the target."
    if number is not None:
        low, high = UNIT_BOUNDS.get(unit, (0, None))
        if number < low or (high is not None and number > high):
            errors["target"] = (
                f"A target in {unit} lies between {low:g} and {high:g}."
                if high is not None
                else (f"A target in {unit} is at least {low:g}.")
            )
    if width is not None and width < 0:
        errors["amber_band"] = "The amber band cannot be negative."
    if errors:
        raise ValidationError(errors)
    return number, width


def _audit(*, ctx: AuditContext, action: str, metric: str, changes: dict, at) -> None:
    audit_append(
        actor=ctx.actor,
        channel=ctx.channel,
        action=action,
        object_type="reports.kpitarget",
        object_id=metric,
        object_repr=f"KPI target: {METRICS[metric].label if metric in METRICS else metric}",
        changes={**changes, **({"token": ctx.token_name} if ctx.token_name else {})},
        at=at,
    )


@atomic_audited
def kpi_target_set(*, ctx: AuditContext, metric: str, target, amber_band=None) -> KpiTarget:
    """Set a metric's target and amber band (None: the metric's default band); audited with the old and new values."""
    if not user_can(ctx.actor, CHANGE_TARGETS):
        raise PermissionDenied(REFUSED)
    number, width = kpi_target_check(metric, target, amber_band)
    now = timezone.now()
    actor = ctx.actor if getattr(ctx.actor, "is_authenticated", False) else None
    row = KpiTarget.objects.select_for_update().filter(metric=metric).first()
    before = {"target": row.target, "amber_band": row.amber_band} if row else None
    if row is None:
        row = KpiTarget(metric=metric)
    row.target, row.amber_band, row.set_by, row.set_at = number, width, actor, now
    row.full_clean()
    row.save()
    _audit(
        ctx=ctx,
        action="target_set",
        metric=metric,
        changes={"metric": metric, "before": before, "target": number, "amber_band": width},
        at=now,
    )
    return row


@atomic_audited
def kpi_target_clear(*, ctx: AuditContext, metric: str) -> bool:
    """Remove a metric's target (its status becomes `none`); False when it had none. Audited when one is removed."""
    if not user_can(ctx.actor, CHANGE_TARGETS):
        raise PermissionDenied(REFUSED)
    if metric not in METRICS:
        raise ValidationError({"metric": "No such KPI."})
    row = KpiTarget.objects.select_for_update().filter(metric=metric).first()
    if row is None:
        return False
    before = {"target": row.target, "amber_band": row.amber_band}
    row.delete()
    _audit(
        ctx=ctx, action="target_cleared", metric=metric, changes={"metric": metric, "before": before}, at=timezone.now()
    )
    return True
