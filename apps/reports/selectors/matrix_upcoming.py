"""What is on its way in "what is where", by service, read in rows bounded by the page: the services with something
on its way and each cell's count from the counts the services keep (DeploymentStatusCount, per status, environment
and service), and each cell's first UPCOMING_SHOWN deployments through a partial index of the deployments on their
way (`dep_on_its_way`: service, environment, planned start, covering their reference and status), one LIMIT a cell —
instead of ranking every approved deployment. Used where the snapshot answers (a user who sees every deployment,
filtering by service, environment or kind of environment); apps/reports/selectors/matrix.py ranks the deployments
otherwise."""

from django.db.models import QuerySet, Sum

from apps.core.for_each import CompiledForEach
from apps.deployments import workflow
from apps.deployments.models import ALL, DeploymentStatusCount
from apps.environments.models import Environment

_MARKS = {"environment": -8_000_011, "service": -8_000_012}  # stand-ins for a cell's ids (no row has a negative id)


def _counts(data: dict, *, per_environment: bool) -> QuerySet[DeploymentStatusCount]:
    rows = DeploymentStatusCount.objects.filter(
        status__in=workflow.ON_ITS_WAY, model_id=ALL, deployments__gt=0
    ).exclude(service_id=ALL)
    if data.get("service"):
        rows = rows.filter(service_id=data["service"].pk)
    if data.get("environment"):
        rows = rows.filter(environment_id=data["environment"].pk)
    elif data.get("environment_kind"):
        rows = rows.filter(environment_id__in=Environment.objects.filter(kind=data["environment_kind"]).values("pk"))
    elif not per_environment:
        return rows.filter(environment_id=ALL)
    return rows.exclude(environment_id=ALL)


def upcoming_services(data: dict) -> set[int]:
    """The services with a deployment on its way under the matrix's filters (`data`: the filter form's cleaned data)."""
    filtered = bool(data.get("environment") or data.get("environment_kind"))
    rows = _counts(data, per_environment=filtered).order_by().values_list("service_id", flat=True).distinct()
    return set(rows)


def upcoming_rows(base: QuerySet, data: dict, services: list[int], shown: int) -> list[dict]:
    """Per (environment, service) of `services`: the first `shown` deployments on their way by planned start, each
    row with the cell's count — the rows `matrix._upcoming` makes, for these services only. Two queries."""
    if not services:
        return []
    cells = (
        _counts(data, per_environment=True)
        .filter(service_id__in=services)
        .order_by()
        .values_list("environment_id", "service_id")
        .annotate(n=Sum("deployments"))
    )
    counts = {(env, service): n for env, service, n in cells if n}
    if not counts:
        return []
    # each cell's first deployments with what the cell shows of them: one query planned once (as a UNION ALL of a
    # sub-query a cell, PostgreSQL spent 49 ms planning what ran in 7 at ten million), read from the index alone (read
    # again by id, the rows took 1 ms at one million and 6 at ten: a heap page each, spread wider as the table grows)
    m = _MARKS
    cell = base.filter(status__in=workflow.ON_ITS_WAY, environment_id=m["environment"], service_id=m["service"])
    page = cell.order_by("planned_start", "id").values_list("id", "reference", "status", "planned_start")[:shown]
    sets = sorted(counts)  # (environment, service) of each cell
    found = CompiledForEach(page, marks=m, using=base.db).rows(
        [{"environment": env, "service": service} for env, service in sets]
    )
    return [
        {
            "row_key": sets[i][1],
            "env_id": sets[i][0],
            "count": counts[sets[i]],
            "id": pk,
            "reference": reference,
            "status": status,
            "planned_start": planned_start,
        }
        for i, pk, reference, status, planned_start in found
    ]
