"""Pages for webhooks: the list, the form to create and edit one, its delivery log and redelivery."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.views import View
from django.views.generic import TemplateView

from apps.core.forms import add_service_error
from apps.core.permissions import require, user_can
from apps.integrations import selectors, services
from apps.integrations.forms import WebhookSubscriptionForm
from apps.integrations.models import WebhookDelivery, WebhookSubscription

ADD, CHANGE = "integrations.add_webhooksubscription", "integrations.change_webhooksubscription"


def _subscription(request, pk) -> WebhookSubscription:
    try:
        return selectors.subscription_get(user=request.user, pk=pk)
    except WebhookSubscription.DoesNotExist as exc:
        raise Http404("No such webhook.") from exc


class WebhookListView(LoginRequiredMixin, TemplateView):
    """The subscriptions, with their state and how their deliveries went."""

    template_name = "integrations/webhook_list.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            require(request.user, selectors.VIEW)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["webhooks"] = selectors.subscription_list(user=self.request.user)
        ctx["can_add"] = user_can(self.request.user, ADD)
        ctx["can_change"] = user_can(self.request.user, CHANGE)
        return ctx


class WebhookFormView(LoginRequiredMixin, TemplateView):
    template_name = "integrations/webhook_form.html"
    perm = ADD
    subscription = None

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            require(request.user, self.perm)
            if "pk" in kwargs:
                self.subscription = _subscription(request, kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["form"] = kwargs.get("form") or WebhookSubscriptionForm(instance=self.subscription)
        ctx["webhook"] = self.subscription
        return ctx

    def post(self, request, *args, **kwargs):
        form = WebhookSubscriptionForm(request.POST, instance=self.subscription)
        if form.is_valid():
            data = {k: form.cleaned_data[k] for k in services.FIELDS if k in form.cleaned_data}
            try:
                if self.subscription is None:
                    webhook = services.subscription_create(actor=request.user, **data)
                else:
                    webhook = services.subscription_update(subscription=self.subscription, actor=request.user, **data)
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"Webhook “{webhook.name}” saved.")
                return redirect("integrations:webhook_deliveries", pk=webhook.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class WebhookCreateView(WebhookFormView):
    perm = ADD


class WebhookUpdateView(WebhookFormView):
    perm = CHANGE


class WebhookDeliveriesView(LoginRequiredMixin, TemplateView):
    """A subscription's delivery log: each delivery's event, attempts, answer, duration and state."""

    template_name = "integrations/webhook_deliveries.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        require(user, selectors.VIEW)
        webhook = _subscription(self.request, self.kwargs["pk"])
        page = Paginator(selectors.delivery_list(subscription=webhook), 50).get_page(self.request.GET.get("page"))
        ctx.update(webhook=webhook, page=page, deliveries=page.object_list, can_change=user_can(user, CHANGE))
        return ctx


class WebhookRedeliverView(LoginRequiredMixin, View):
    """POST: send one delivery again (same body, same delivery id)."""

    http_method_names = ["post"]

    def post(self, request, pk, delivery_pk):
        require(request.user, CHANGE)
        webhook = _subscription(request, pk)
        try:
            delivery = selectors.delivery_get(subscription=webhook, pk=delivery_pk)
        except WebhookDelivery.DoesNotExist as exc:
            raise Http404("No such delivery.") from exc
        services.delivery_redeliver(delivery=delivery, actor=request.user)
        messages.success(request, f"Delivery of {delivery.event} queued again.")
        return redirect("integrations:webhook_deliveries", pk=webhook.pk)
