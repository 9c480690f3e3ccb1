"""Permission-matrix rows for login, profile and tokens."""

from tests.matrix import api, page

ROWS = [
    page("/accounts/login/", anonymous=200, default=302, name="login form"),
    page("/accounts/logout/", method="post", anonymous=302, default=302, name="logout"),
    page("/accounts/profile/", name="profile"),
    page(
        "/accounts/notifications/",
        method="post",
        data={"deployment_update": "on"},
        default=302,
        name="notification choices",
    ),
    page("/accounts/tokens/", method="post", data={"name": "matrix"}, default=302, name="token create"),
    page(
        lambda w: f"/accounts/tokens/{w.tokens['manager'].pk}/revoke/",
        method="post",
        default=404,
        manager=302,
        name="token revoke (manager's token)",
    ),
    api("/api/v1/me/", name="me"),
]
