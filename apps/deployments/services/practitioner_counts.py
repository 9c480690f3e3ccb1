"""Keeps DeploymentPractitionerCount: a finished deployment (workflow.FINISHED, with an actual end) counts once for each
practitioner assigned to it, under its environment and the UTC day of its actual end. The services that can change
one of those — `deployment_transition` (a status and its actual end) and `deployment_update` (an environment, the
practitioners) — take the deployment's key before the change and call `practitioner_counts_after` (or, around a
change of the practitioners, `practitioner_counts_leave` before and `practitioner_counts_enter` after), in the same
transaction; each is one INSERT … ON CONFLICT statement adding ±1 to the rows of the deployment's practitioners as
linked at that moment, so two writers add to the same rows without losing a count (the row is locked by the upsert),
and a change that moves nothing (a roll-back: failed and rolled back are both finished, on the same day) writes
nothing. `practitioner_counts_rebuild` recomputes every row from the deployments by one INSERT … SELECT
(`kpi_rollup_rebuild`, migration 0030)."""

import datetime as dt

from django.apps import apps as global_apps
from django.db import connection, transaction
from django.db.models import Count
from django.db.models.functions import TruncDate

from apps.deployments import workflow

Key = tuple[int, dt.date]  # (environment id, UTC day of the actual end)


def practitioner_key(deployment) -> Key | None:
    """Where `deployment`'s practitioners count (as it is in memory): its environment and the UTC day of its actual
    end while it is finished; None otherwise (it counts nowhere)."""
    if deployment.status in workflow.FINISHED and deployment.actual_end is not None:
        return deployment.environment_id, deployment.actual_end.astimezone(dt.UTC).date()
    return None


def practitioner_counts_add(*, deployment_id: int, key: Key | None, n: int) -> None:
    """Add `n` under `key` to the count of each practitioner linked to the deployment now: one statement, the rows in
    practitioner order (two writers lock shared rows in the same order); nothing without a key. A row brought to 0
    stays, counting nothing (as the calendar's day counts do)."""
    if key is None or not n:
        return
    from apps.deployments.models import Deployment, DeploymentPractitionerCount

    table, through = DeploymentPractitionerCount._meta.db_table, Deployment.practitioners.through._meta.db_table
    environment_id, day = key
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (user_id, environment_id, day, deployments) "  # noqa: S608
            f"SELECT user_id, %s, %s, %s FROM {through} WHERE deployment_id = %s ORDER BY user_id "
            f"ON CONFLICT (user_id, environment_id, day) DO UPDATE SET deployments = {table}.deployments + "
            "EXCLUDED.deployments",
            [environment_id, connection.ops.adapt_datefield_value(day), n, deployment_id],
        )


def practitioner_counts_after(deployment, before: Key | None) -> None:
    """After a change of `deployment`'s status, actual end or environment (its practitioners unchanged): move its
    practitioners' counts from `before` (its `practitioner_key` before the change) to where it counts now — nothing
    when that is the same place. The two keys are written in key order (two writers never wait on each other in
    opposite orders)."""
    after = practitioner_key(deployment)
    if after == before:
        return
    for key, n in sorted(((k, n) for k, n in ((before, -1), (after, 1)) if k is not None), key=lambda kn: kn[0]):
        practitioner_counts_add(deployment_id=deployment.pk, key=key, n=n)


def practitioner_counts_leave(deployment, before: Key | None) -> None:
    """Before `deployment`'s practitioners are changed: take its practitioners as linked now out of `before`;
    `practitioner_counts_enter` puts those linked afterwards in where it counts then."""
    practitioner_counts_add(deployment_id=deployment.pk, key=before, n=-1)


def practitioner_counts_enter(deployment) -> None:
    """After `deployment`'s practitioners were changed (`practitioner_counts_leave` before): count its practitioners
    as linked now where it counts now."""
    practitioner_counts_add(deployment_id=deployment.pk, key=practitioner_key(deployment), n=1)


def practitioner_counts_rebuild(*, apps=global_apps) -> int:
    """Recompute every row from the deployments and their practitioner links: one INSERT … SELECT grouped by
    practitioner, environment and UTC day (the database adds up; nothing is held in Python), on SQLite and
    PostgreSQL alike. Returns the rows made."""
    Deployment = apps.get_model("deployments", "Deployment")
    Kept = apps.get_model("deployments", "DeploymentPractitionerCount")
    through = Deployment._meta.get_field("practitioners").remote_field.through
    rows = (
        through.objects.filter(deployment__status__in=workflow.FINISHED, deployment__actual_end__isnull=False)
        .annotate(end_day=TruncDate("deployment__actual_end", tzinfo=dt.UTC))
        .values("user_id", "deployment__environment_id", "end_day")
        .annotate(n=Count("*"))
        .order_by()
    )
    sql, params = rows.query.sql_with_params()
    with transaction.atomic():
        Kept.objects.all().delete()
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {Kept._meta.db_table} (user_id, environment_id, day, deployments) {sql}",  # noqa: S608
                params,
            )
    return Kept.objects.count()
