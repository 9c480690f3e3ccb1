"""Pages of one's own account: login, profile (its roles drawn by the roles app's template tag), API tokens."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.views import View
from django.views.generic import TemplateView

from apps.accounts.forms import ApiTokenForm, LoginForm, NotificationPreferencesForm
from apps.accounts.models import ApiToken
from apps.accounts.notices import notification_preferences, notification_preferences_set
from apps.accounts.selectors import api_token_list
from apps.accounts.services import api_token_create, api_token_revoke
from apps.core.forms import add_service_error

NEW_KEY_SESSION = "deploydesk_new_token_key"


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["oidc_enabled"] = settings.DEPLOYDESK_OIDC_ENABLED
        ctx["oidc_provider_name"] = settings.DEPLOYDESK_OIDC_PROVIDER_NAME
        ctx["local_login"] = settings.DEPLOYDESK_LOCAL_LOGIN
        return ctx


class ProfileView(LoginRequiredMixin, TemplateView):
    template_name = "accounts/profile.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["tokens"] = api_token_list(user=self.request.user)
        ctx["form"] = kwargs.get("form") or ApiTokenForm()
        ctx["new_key"] = self.request.session.pop(NEW_KEY_SESSION, None)
        ctx["notification_form"] = kwargs.get("notification_form") or NotificationPreferencesForm(
            preferences=notification_preferences(user=self.request.user)
        )
        return ctx


class ApiTokenCreateView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request):
        form = ApiTokenForm(request.POST)
        if form.is_valid():
            try:
                token, key = api_token_create(user=request.user, name=form.cleaned_data["name"])
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                request.session[NEW_KEY_SESSION] = {"name": token.name, "key": key}
                messages.success(request, f"Token “{token.name}” created. Copy it now: it will not be shown again.")
                return redirect("accounts:profile")
        view = ProfileView()
        view.setup(request)
        return view.render_to_response(view.get_context_data(form=form), status=400)


class ApiTokenRevokeView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk: int):
        token = get_object_or_404(ApiToken, pk=pk, user=request.user)
        api_token_revoke(token=token, actor=request.user)
        messages.success(request, f"Token “{token.name}” revoked.")
        return redirect("accounts:profile")


class NotificationPreferencesView(LoginRequiredMixin, View):
    """Each person's own choice of e-mail notices; mandatory ones stay on."""

    http_method_names = ["post"]

    def post(self, request):
        form = NotificationPreferencesForm(request.POST, preferences=notification_preferences(user=request.user))
        if form.is_valid():
            try:
                notification_preferences_set(user=request.user, actor=request.user, choices=form.choices())
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, "Your notification choices are saved.")
                return redirect("accounts:profile")
        view = ProfileView()
        view.setup(request)
        return view.render_to_response(view.get_context_data(notification_form=form), status=400)
