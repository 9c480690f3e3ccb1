"""Tests of apps/core/routes.py: the addresses and names of a resource's standard pages."""

import pytest
from django.urls import Resolver404, get_resolver, include, path, re_path
from django.urls.resolvers import URLResolver
from django.utils.regex_helper import normalize
from django.views.generic import View

from apps.core.routes import SegmentResolver, first_segment, resource_pages


class ListPage(View):
    pass


class FormPage(View):
    kind = ""


@pytest.mark.parametrize(
    ("views", "lookup", "expected"),
    [
        (
            {"list": ListPage, "create": FormPage, "detail": ListPage, "update": FormPage, "delete": FormPage},
            "<int:pk>",
            [
                ("things/", "thing_list"),
                ("things/new/", "thing_create"),
                ("things/<int:pk>/", "thing_detail"),
                ("things/<int:pk>/edit/", "thing_update"),
                ("things/<int:pk>/delete/", "thing_delete"),
            ],
        ),
        (
            {"update": FormPage, "list": ListPage},
            "<slug:slug>",
            [("things/", "thing_list"), ("things/<slug:slug>/edit/", "thing_update")],
        ),
    ],
)
def test_the_pages_given_get_the_standard_addresses_and_names_in_order(views, lookup, expected):
    # given the views of a resource's pages
    # when its routes are made
    routes = resource_pages("things", "thing", lookup=lookup, **views)
    # then each page given has its address and name, the list and the new form before the ones with an id
    assert [(str(route.pattern), route.name) for route in routes] == expected


def test_initkwargs_go_to_every_view():
    # given pages shared by two kinds of one resource
    # when the routes are made with the kind
    routes = resource_pages("things", "thing", initkwargs={"kind": "freeze"}, list=FormPage, create=FormPage)
    # then every view is made for that kind
    assert [route.callback.view_initkwargs for route in routes] == [{"kind": "freeze"}, {"kind": "freeze"}]


def test_a_page_that_is_not_a_standard_one_is_refused():
    # given a page with no standard address
    # when its route is asked for
    # then it is refused, naming it
    with pytest.raises(TypeError, match="No standard page for preview"):
        resource_pages("things", "thing", preview=ListPage)


# --- resolution by first segment (SegmentResolver) ---------------------------------------------------------------


def _example_paths(resolver, prefix="") -> list[str]:
    """Paths that each route of `resolver` (and its includes) answers, with every parameter 12 (or json for a
    format), and near misses of each: another first segment, a missing slash, a segment made longer."""
    paths = []
    for pattern in resolver.url_patterns:
        regex = pattern.pattern.regex.pattern
        for text, params in normalize(regex):
            values = {p: "json" if p == "format" else "12" for p in params}
            url = prefix + text % values
            if isinstance(pattern, URLResolver):
                paths += _example_paths(pattern, url)
            else:
                paths += [url, url.rstrip("/"), url.replace("/", "x/", 1), "zz" + url, url + "extra/"]
    return paths


def _answer(resolver, url):
    try:
        match = resolver.resolve(url)
    except Resolver404:
        return "404"
    return (match.func, match.args, match.kwargs, match.url_name, match.route, match.app_names, match.namespaces)


def test_the_api_resolved_by_first_segment_answers_every_path_as_trying_every_route():
    # given the API's routes under /api/v1/, resolved by first segment, and the same routes tried one by one
    api = next(p for p in get_resolver().url_patterns if str(p.pattern) == "api/v1/")
    assert isinstance(api, SegmentResolver)
    plain = URLResolver(api.pattern, api.urlconf_name, api.default_kwargs, api.app_name, api.namespace)
    paths = [f"api/v1/{p}" for p in _example_paths(plain)] + ["api/v1/", "api/v1/.json", "api/v1/x", "api/v1//"]
    assert len(paths) > 500
    # when each path is resolved both ways
    # then each resolves to the same view with the same arguments, name and route, or to 404 both ways
    for url in paths:
        assert _answer(api, url) == _answer(plain, url), url
    # and the paths were resolved by a dictionary of first segments, the deployments' among them
    assert "deployments" in api._by_segment and len(api._by_segment) > 20


@pytest.mark.parametrize(
    ("route", "segment"),
    [
        ("^deployments/$", "deployments"),
        (r"^deployments\.(?P<format>[a-z0-9]+)/?$", "deployments"),
        (r"^deployments/(?P<pk>[^/.]+)/gate/$", "deployments"),
        ("^gate/$", "gate"),
        ("^me$", "me"),
        ("^$", None),
        (r"^\.(?P<format>[a-z0-9]+)/?$", None),
        ("^(?P<pk>[0-9]+)/$", None),
        ("^deploy(?:ments)?/$", None),
        ("^deployments", None),
        ("^deploy.ments/$", None),
    ],
)
def test_a_regex_route_names_its_first_segment_only_when_every_path_it_matches_begins_with_it(route, segment):
    assert first_segment(re_path(route, ListPage.as_view())) == segment


@pytest.mark.parametrize(
    ("route", "endpoint", "segment"),
    [
        ("me/", True, "me"),
        ("health", True, "health"),
        ("health", False, None),
        ("<int:pk>/", True, None),
        ("", False, None),
    ],
)
def test_a_route_names_its_first_segment_only_when_every_path_it_matches_begins_with_it(route, endpoint, segment):
    pattern = path(route, ListPage.as_view()) if endpoint else path(route, include([]))
    assert first_segment(pattern) == segment
