"""The addresses of a resource's pages, written once (DESIGN.md §5: stable addresses people can bookmark; STYLE.md:
URL names `<model>_<action>`): the list at `prefix/`, the form that adds one at `prefix/new/`, one at `prefix/<id>/`,
its form at `prefix/<id>/edit/` and its removal at `prefix/<id>/delete/`."""

from django.urls import path

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
