"""The KPIs' figures read from the daily rollup (apps/deployments/models/rollups.py): one aggregate over the rows of
the period and the filters, and the merged sketches of the durations — without scanning deployments, so a figure
costs the same cold as cached (README "KPI rollups")."""

import datetime as dt

from django.db import connection
from django.db.models import DateField, Q, QuerySet, Sum, Value

from apps.deployment_models.models import DeploymentModel, ModelStatus
from apps.deployments.models import DeploymentDailyRollup
from apps.deployments.sketch import sketch_quantiles
from apps.environments.models import Environment, EnvironmentKind

AGREED_STATUSES = (ModelStatus.ACTIVE, ModelStatus.PILOT, ModelStatus.RETIRED)
SUMMED = (
    "finished",
    "completed",
    "failed",
    "with_incidents",
    "on_schedule",
    "lead_n",
    "planned",
    "overrides",
    "feedback_n",
    "feedback_lead_sum",
    "feedback_quality_sum",
)


def production_q() -> Q:
    return Q(environment_id__in=Environment.objects.filter(kind=EnvironmentKind.PRODUCTION).values("pk"))


def agreed_q() -> Q:
    """Under a model agreed now (active, pilot or retired): the model's status is read at query time."""
    return Q(model_id__in=DeploymentModel.objects.filter(status__in=AGREED_STATUSES).values("pk"))


def _pk(obj) -> int:
    return getattr(obj, "pk", obj)


def rollup_rows(
    *,
    first: dt.date,
    last: dt.date,
    services: QuerySet | None = None,
    environment=None,
    service=None,
    model=None,
    supplier=None,
) -> QuerySet[DeploymentDailyRollup]:
    """The rollup rows of the days first..last (inclusive) and the filters; `services` limits them to a user's
    services (service and product owners see only theirs)."""
    qs = DeploymentDailyRollup.objects.filter(day__gte=first, day__lte=last).order_by()
    if services is not None:
        qs = qs.filter(service_id__in=services.values("pk"))
    for name, value in (("environment_id", environment), ("service_id", service), ("model_id", model)):
        if value is not None:
            qs = qs.filter(**{name: _pk(value)})
    if supplier is not None:
        qs = qs.filter(supplier_id=_pk(supplier))
    return qs


def rollup_totals(rows: QuerySet) -> dict:
    """Every count and sum of the KPIs over `rows`, in one query (absent figures are 0)."""
    prod = production_q()
    sums = {f"_{name}": Sum(name) for name in SUMMED}  # an aggregate may not take a field's name
    sums.update(
        _prod_finished=Sum("finished", filter=prod),
        _prod_completed=Sum("completed", filter=prod),
        _prod_change_failures=Sum("change_failures", filter=prod),
        _prod_restore_failures=Sum("restore_failures", filter=prod),
        _prod_restore_n=Sum("restore_n", filter=prod),
        _agreed=Sum("planned", filter=agreed_q()),
    )
    return {key[1:]: value or 0 for key, value in rows.aggregate(**sums).items()}


def merged_sketches(rows: QuerySet, field: str, group=None) -> dict:
    """{group: sketch} of the rows' sketches added up by the database (a JSON table function over the rows, grouped
    by bucket): one row per group and bucket comes back, however many rollup rows there are. Without `group`, all
    rows are one group (None)."""
    if field not in ("lead_sketch", "restore_sketch"):
        raise ValueError(field)
    rows = rows.annotate(_g=group if group is not None else Value(None, output_field=DateField()))
    sql, params = rows.values("_g", field).query.sql_with_params()
    if connection.vendor == "postgresql":
        each = f"jsonb_each(r.{field}) AS e"
        n, total = "(e.value->>0)::bigint", "(e.value->>1)::bigint"
    else:
        each = f"json_each(r.{field}) AS e"
        n, total = "json_extract(e.value, '$[0]')", "json_extract(e.value, '$[1]')"
    query = f"SELECT r._g, e.key, SUM({n}), SUM({total}) FROM ({sql}) AS r, {each} GROUP BY r._g, e.key"  # noqa: S608
    merged: dict = {}
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        for g, key, count, seconds in cursor.fetchall():
            if count:
                merged.setdefault(g, {})[key] = [int(count), int(seconds)]
    return merged


def merged_sketch(rows: QuerySet, field: str) -> dict:
    return merged_sketches(rows, field).get(None, {})


def lead_time_quantiles(rows: QuerySet, fractions=(0.5, 0.9)) -> dict:
    """{fraction: seconds} of the lead times of the completed deployments in `rows` (within the sketch's error)."""
    return sketch_quantiles(merged_sketch(rows.filter(lead_n__gt=0), "lead_sketch"), fractions)[1]


def restore_median(rows: QuerySet) -> float | None:
    """The median time to restore, in seconds, of the production failures restored in `rows`."""
    _n, values = sketch_quantiles(merged_sketch(rows.filter(production_q(), restore_n__gt=0), "restore_sketch"), (0.5,))
    return values.get(0.5)
