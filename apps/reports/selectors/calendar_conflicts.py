"""The calendar's conflict check (DESIGN.md §2): the planned deployments a shown one can conflict with, read by its
service and its environment around its own window, and the conflicts found among them."""

import datetime as dt
from bisect import bisect_left
from collections import Counter, defaultdict
from typing import NamedTuple

from django.db.models import QuerySet

from apps.core.for_each import CompiledForEach
from apps.deployments import workflow
from apps.deployments.models import Deployment
from apps.reports.selectors.calendar_days import ENVIRONMENT, overlapping, window

MAX_EVENTS = 5000  # a shown deployment's partners are read up to this many rows (a partner and component) a query
SERVICE, SERVICE_MARK = "service", -8_000_005  # a service's stand-in while the partners' query is compiled
# an environment's partners end before the stretch's end plus the longest window: bounded by their planned end too,
# they are read through the planned windows' own index (dep_planned_env_end: one descent a stretch, not one a status)
UNTIL, UNTIL_MARK = "until", dt.datetime(1901, 2, 3, 4, 5, 6, 444, tzinfo=dt.UTC)


class PlannedWindow(NamedTuple):
    """A planned deployment as the conflict check reads it (hundreds per month at scale: no model instances)."""

    pk: int
    reference: str
    environment_id: int
    planned_start: dt.datetime
    planned_end: dt.datetime
    components: frozenset | None = None  # its components' ids, when read with it


def _overlap(a_start, a_end, b_start, b_end) -> bool:
    return a_start < b_end and b_start < a_end


class _ByStart:
    """Planned deployments in order of planned start, those starting in a range found by bisection: the partners
    of a shown deployment are the few of its environment or component whose windows can reach it, not all of them
    (at ten million, thousands a month)."""

    def __init__(self, ordered: list):
        self.ordered, self.starts = ordered, [d.planned_start for d in ordered]

    def starting(self, since: dt.datetime, before: dt.datetime) -> list:
        return self.ordered[bisect_left(self.starts, since) : bisect_left(self.starts, before)]


def calendar_conflicts(
    deployments: list[Deployment], freezes: list, planned: list | None = None, components=None
) -> dict[int, list[str]]:
    """Conflicts of the shown deployments (DESIGN.md §2) with the planned deployments of the range (by default the
    shown ones): overlapping in an environment that allows no parallel deployments, the same component deployed in
    overlapping windows, or planned inside a freeze (`freezes`: the range's `calendar.Occurrence`s; this module sits
    below the calendar's). Partners are looked up per environment and per component. `components`: the shown planned
    deployments' components, when already read (`components_of`)."""
    shown = [d for d in deployments if d.status in workflow.PLANNED]
    planned = shown if planned is None else planned
    found: dict[int, list[str]] = defaultdict(list)
    known: dict[int, set[int]] = dict(components or {})
    asked = {d.pk for d in shown} if components is not None else set()
    for b in planned:
        if getattr(b, "components", None) is not None:  # read with the partner (partners_of)
            known[b.pk] = set(b.components)
            asked.add(b.pk)
    missing = sorted(({d.pk for d in shown} | {d.pk for d in planned}) - asked)
    components = {**known, **components_of(missing)} if missing else known
    by_env: dict[int, list[Deployment]] = defaultdict(list)
    by_component: dict[int, list[Deployment]] = defaultdict(list)
    for b in sorted(planned, key=lambda d: (d.planned_start, d.pk)):
        by_env[b.environment_id].append(b)
        for component_id in components.get(b.pk, ()):
            by_component[component_id].append(b)
    longest = max((b.planned_end - b.planned_start for b in planned), default=dt.timedelta(0))
    envs = {key: _ByStart(group) for key, group in by_env.items()}
    parts = {key: _ByStart(group) for key, group in by_component.items()}
    for a in shown:
        mine = components.get(a.pk, set())
        serial = not a.environment.allows_parallel_deployments
        groups = [parts[c] for c in mine if c in parts] + (
            [envs[a.environment_id]] if serial and a.environment_id in envs else []
        )
        partners = {b.pk: b for group in groups for b in group.starting(a.planned_start - longest, a.planned_end)}
        for b in sorted(partners.values(), key=lambda d: (d.planned_start, d.pk)):
            if b.pk == a.pk or not _overlap(a.planned_start, a.planned_end, b.planned_start, b.planned_end):
                continue
            if a.environment_id == b.environment_id and serial:
                found[a.pk].append(f"Overlaps {b.reference} in {a.environment}, which allows no parallel deployments.")
            if mine & components.get(b.pk, set()):
                found[a.pk].append(f"Deploys the same component as {b.reference} in an overlapping window.")
        for occ in freezes:
            applies = occ.window.environment_id in (None, a.environment_id)
            if applies and _overlap(a.planned_start, a.planned_end, occ.start, occ.end):
                found[a.pk].append(f"Inside the freeze “{occ.window.name}” ({occ.scope}).")
    return dict(found)


def partners_of(
    qs: QuerySet[Deployment], shown: list[Deployment], longest: dt.timedelta
) -> tuple[list[PlannedWindow], bool]:
    """The planned deployments (of `qs`, as filtered) a conflict of the shown ones can be with, and whether some were
    cut at MAX_EVENTS rows a stretch: for each shown planned deployment, those of its service overlapping its window,
    with their components (a deployment's versions are its service's: planning refuses others, so only these can
    deploy one of its components), and those of its environment when that allows no parallel deployments — each
    read through the service's or the environment's index on the planned start, from its start less the longest
    window (`longest`), the overlapping windows of one service (or environment) read as one stretch. So a shown
    deployment costs the few its service and environment plan around it, not every deployment of the hours the shown
    ones cover (thousands at ten million). The shown ones are among their own partners, read with their components.
    Two queries (one when no shown one's environment is serial), each planned once."""
    mine = [d for d in shown if d.status in workflow.PLANNED and d.planned_start is not None and d.planned_end]
    serial = [d for d in mine if not d.environment.allows_parallel_deployments]
    found: dict[int, tuple] = {}
    parts: dict[int, set[int]] = defaultdict(set)
    truncated = False
    for group, key in ((mine, SERVICE), (serial, ENVIRONMENT)):
        sets = [
            {**window(start, end, longest), key: value, **({UNTIL: end + longest} if key == ENVIRONMENT else {})}
            for value, start, end in _stretches(group, key)
        ]
        if not sets:
            continue
        read: Counter = Counter()
        for i, *row in _partners_query(qs, by_environment=key == ENVIRONMENT).rows(sets):
            read[i] += 1
            component_id = row.pop() if key == SERVICE else None  # the service's: a row a component
            found.setdefault(row[0], row)  # a partner of two stretches is read for each
            if component_id is not None:
                parts[row[0]].add(component_id)
        truncated = truncated or any(n > MAX_EVENTS for n in read.values())
    partners = [PlannedWindow(*row, frozenset(parts[pk])) for pk, row in found.items()]
    return sorted(partners, key=lambda p: (p.planned_start, p.pk)), truncated


def _stretches(deployments: list[Deployment], key: str) -> list[tuple[int, dt.datetime, dt.datetime]]:
    """(service or environment id, start, end) of the deployments' planned windows, those of one service (or
    environment) that overlap merged: a partner of one of them overlaps its stretch, and is read once for it (an
    environment's shown deployments of a day mostly follow each other)."""
    attribute = "service_id" if key == SERVICE else "environment_id"
    stretches: list[list] = []
    for d in sorted(deployments, key=lambda d: (getattr(d, attribute), d.planned_start)):
        value = getattr(d, attribute)
        if stretches and stretches[-1][0] == value and d.planned_start < stretches[-1][2]:
            stretches[-1][2] = max(stretches[-1][2], d.planned_end)
        else:
            stretches.append([value, d.planned_start, d.planned_end])
    return [(value, start, end) for value, start, end in stretches]


def _partners_query(qs: QuerySet[Deployment], *, by_environment: bool) -> CompiledForEach:
    """The planned deployments of `qs` overlapping a window, of an environment (`by_environment`: none of their
    components, another service's cannot share one; their planned end also below the window's end plus the longest
    window, `UNTIL`) or of a service (with a row per component), at most MAX_EVENTS + 1 rows a window."""
    planned, marks = overlapping(qs.filter(status__in=workflow.PLANNED), by_environment=by_environment)
    columns = ["pk", "reference", "environment_id", "planned_start", "planned_end"]
    if by_environment:
        planned, marks = planned.filter(planned_end__lt=UNTIL_MARK), {**marks, UNTIL: UNTIL_MARK}
    else:
        planned, marks = planned.filter(service_id=SERVICE_MARK), {**marks, SERVICE: SERVICE_MARK}
        columns.append("component_versions__component_id")
    rows = planned.order_by().values_list(*columns)
    return CompiledForEach(rows[: MAX_EVENTS + 1], marks=marks, using=qs.db)


def components_of(deployment_ids: list[int]) -> dict[int, set[int]]:
    if not deployment_ids:
        return {}
    through = Deployment.component_versions.through
    result: dict[int, set[int]] = defaultdict(set)
    rows = through.objects.filter(deployment_id__in=deployment_ids).values_list(
        "deployment_id", "componentversion__component_id"
    )
    for deployment_id, component_id in rows:
        result[deployment_id].add(component_id)
    return result
