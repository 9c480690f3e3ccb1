"""Tests of apps/core/routes.py: the addresses and names of a resource's standard pages."""

import pytest
from django.views.generic import View

from apps.core.routes import resource_pages


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
