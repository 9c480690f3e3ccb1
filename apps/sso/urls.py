"""The OpenID Connect sign-in URLs: the start of the code flow and the provider's callback."""

from django.urls import path

from apps.sso.oidc import OidcCallbackView, OidcLoginView

app_name = "sso"

urlpatterns = [
    path("oidc/authenticate/", OidcLoginView.as_view(), name="oidc_authenticate"),
    path("oidc/callback/", OidcCallbackView.as_view(), name="oidc_callback"),
]
