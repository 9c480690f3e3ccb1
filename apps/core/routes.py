"""The addresses of a resource's pages, written once (DESIGN.md §5: stable addresses people can bookmark; STYLE.md:
URL names `<model>_<action>`): the list at `prefix/`, the form that adds one at `prefix/new/`, one at `prefix/<id>/`,
its form at `prefix/<id>/edit/` and its removal at `prefix/<id>/delete/`."""

import re

from django.urls import include, path
from django.urls.resolvers import RoutePattern, URLResolver
from django.utils.functional import cached_property

ROUTES = {"list": "", "create": "new/", "detail": "{lookup}/", "update": "{lookup}/edit/", "delete": "{lookup}/delete/"}


def resource_pages(
    prefix: str, name: str, *, lookup: str = "<int:pk>", initkwargs: dict | None = None, **views
) -> list:
    """The routes of the pages `views` names (list, create, detail, update, delete: view classes), in that order —
    `new/` before a slug that could read it — named `<name>_<action>`; `initkwargs` go to every view's `as_view`."""
    if unknown := set(views) - set(ROUTES):
        raise TypeError(f"No standard page for {', '.join(sorted(unknown))}.")
    return [
        path(
            f"{prefix}/{route.format(lookup=lookup)}",
            views[action].as_view(**(initkwargs or {})),
            name=f"{name}_{action}",
        )
        for action, route in ROUTES.items()
        if action in views
    ]


# the characters that end a regular expression's literal start (a route's ends at "<")
_NOT_LITERAL = re.compile(r"[\\.^$*+?{}\[\]|()<]")


def first_segment(pattern) -> str | None:
    """The literal first segment every path `pattern` matches begins with (what comes before its first `/`, or before
    a `.format` suffix), or None when the pattern does not name one: it starts with a parameter or is empty, or its
    literal start may go on (a prefix without a `/` after it)."""
    route = pattern.pattern
    text = str(route).removeprefix("^")
    literal = text[: m.start()] if (m := _NOT_LITERAL.search(text)) else text
    segment, slash, _rest = literal.partition("/")
    if not segment:
        return None
    after = text[len(literal) :]
    if slash or after.startswith(("\\.", "$")):
        return segment
    return segment if not after and isinstance(route, RoutePattern) and route._is_endpoint else None


class SegmentResolver(URLResolver):
    """A URLResolver that tries, for each path, only the patterns that may match its first segment, in their order:
    the same match as trying all of them (the ones left out name another first segment), found in a dictionary
    rather than by matching every pattern in turn — the API has some 150 (`by_first_segment`).

    Each first segment has a resolver of its own over its patterns (with those that name no first segment, at their
    places); reversing reads the whole list, as any resolver's does. A 404's `tried` lists only the patterns of the
    path's first segment."""

    @cached_property
    def _by_segment(self) -> dict[str, URLResolver]:
        patterns = self.url_patterns
        segments = [first_segment(p) for p in patterns]
        named = dict.fromkeys(s for s in segments if s is not None)
        return {
            key: URLResolver(
                self.pattern,
                [p for p, s in zip(patterns, segments, strict=True) if s is None or s == key],
                self.default_kwargs,
                self.app_name,
                self.namespace,
            )
            for key in [*named, None]
        }

    def resolve(self, path):
        match = self.pattern.match(str(path))
        if not match:
            return super().resolve(path)
        segment = re.split(r"[/.]", match[0], maxsplit=1)[0]
        groups = self._by_segment
        return groups.get(segment, groups[None]).resolve(path)


def by_first_segment(route: str, urlconf) -> SegmentResolver:
    """`path(route, include(urlconf))`, resolved by first segment (`SegmentResolver`)."""
    urlconf_module, app_name, namespace = include(urlconf)
    return SegmentResolver(RoutePattern(route, is_endpoint=False), urlconf_module, {}, app_name, namespace)
