"""The calendar's conflict check (DESIGN.md §2): the planned deployments a shown one can conflict with, read in one
query, and the conflicts found among them."""

import datetime as dt
import operator
from bisect import bisect_left
from collections import defaultdict
from functools import reduce
from typing import NamedTuple

from django.db.models import Exists, OuterRef, Q, QuerySet

from apps.core.for_each import CompiledForEach
from apps.deployments import workflow
from apps.deployments.models import Deployment
from apps.reports.selectors.calendar_days import overlapping, window

MAX_EVENTS = 5000  # conflicts are looked for among at most this many planned deployments overlapping the shown ones


class PlannedWindow(NamedTuple):
    """A planned deployment as the conflict check reads it (thousands per month at scale: no model instances)."""

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


def _spans(deployments: list[Deployment]) -> list[tuple[dt.datetime, dt.datetime]]:
    """The planned windows of the deployments still planned, overlapping ones merged: the times a partner of one of
    them must overlap."""
    windows = sorted(
        (d.planned_start, d.planned_end)
        for d in deployments
        if d.status in workflow.PLANNED and d.planned_start is not None and d.planned_end is not None
    )
    spans: list[list] = []
    for start, end in windows:
        if spans and start < spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([start, end])
    return [(a, b) for a, b in spans]


def partners_of(
    qs: QuerySet[Deployment], shown: list[Deployment], longest: dt.timedelta, components: dict | None = None
) -> list[PlannedWindow]:
    """The planned deployments (of `qs`, as filtered) a conflict of the shown ones can be with: those overlapping one
    of their windows (read through the planned start's index from each window's start less the longest window) that
    are in an environment of a shown one allowing no parallel deployments, or that deploy a component a shown one
    deploys (`components`: theirs, `components_of`, read here when not given) — the only ones `calendar_conflicts`
    could pair them with. So the check reads the candidates of a conflict, not every deployment of the hours the shown
    ones cover (thousands at ten million); at most MAX_EVENTS + 1 a window (more: truncated)."""
    spans = _spans(shown)
    if not spans:
        return []
    mine = [d for d in shown if d.status in workflow.PLANNED]
    if components is None:
        components = components_of(sorted(d.pk for d in mine))
    theirs = sorted({c for ids in components.values() for c in ids})
    serial = sorted({d.environment_id for d in mine if not d.environment.allows_parallel_deployments})
    through = Deployment.component_versions.through
    could = [Q(environment_id__in=serial)] if serial else []
    if theirs:  # a list, not a sub-query: PostgreSQL would probe each candidate's component's every version
        same = through.objects.filter(deployment_id=OuterRef("pk"), componentversion__component_id__in=theirs)
        could.append(Q(Exists(same)))
    if not could:
        return []
    planned, marks = overlapping(qs.filter(reduce(operator.or_, could), status__in=workflow.PLANNED))
    columns = ("pk", "reference", "environment_id", "planned_start", "planned_end", "component_versions__component_id")
    query = CompiledForEach(planned.order_by().values_list(*columns)[: MAX_EVENTS + 1], marks=marks, using=qs.db)
    found: dict[int, tuple] = {}
    parts: dict[int, set[int]] = defaultdict(set)
    for _i, *row, component_id in query.rows([window(start, end, longest) for start, end in spans]):
        found.setdefault(row[0], row)  # a window overlapping two spans is read for each; a row a component
        if component_id is not None:
            parts[row[0]].add(component_id)
    partners = [PlannedWindow(*row, frozenset(parts[pk])) for pk, row in found.items()]
    return sorted(partners, key=lambda p: (p.planned_start, p.pk))


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
