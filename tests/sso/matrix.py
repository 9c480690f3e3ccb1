"""Permission-matrix rows for the OpenID Connect sign-in URLs (off in the test settings, so 404 for everyone)."""

from tests.matrix import page

ROWS = [
    page("/accounts/oidc/authenticate/", anonymous=404, default=404, name="single sign-on start (not configured)"),
    page("/accounts/oidc/callback/", anonymous=404, default=404, name="single sign-on callback (not configured)"),
]
