"""Permission-matrix rows for the home page, health, API docs and admin."""

from tests.matrix import LOGIN, api, page

ROWS = [
    page("/", name="home"),
    page("/health/", anonymous=200, name="health"),
    page("/api/schema/", anonymous=200, name="api schema"),
    page("/api/docs/", anonymous=200, name="api docs"),
    page("/admin/", default=LOGIN, admin=200, name="admin index"),
    api("/api/v1/", name="api root"),
]
