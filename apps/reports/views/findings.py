"""Pages of the audit findings register: the list with filters, raising a finding, a finding with its history, and
changing its status."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.utils import timezone
from django.views import View
from django.views.generic import ListView, TemplateView

from apps.audit.context import AuditContext
from apps.core.exceptions import ConflictError
from apps.core.forms import add_service_error
from apps.reports.findings import selectors, services
from apps.reports.findings.filters import AuditFindingFilterSet
from apps.reports.findings.forms import AuditFindingForm, FindingStatusForm
from apps.reports.findings.workflow import ADD, available_statuses
from apps.reports.models import AuditFinding


class FindingListView(LoginRequiredMixin, ListView):
    """Every finding for auditors and managers, one's own findings for anyone else, with filters."""

    template_name = "reports/finding_list.html"
    context_object_name = "findings"
    paginate_by = 50

    def get_queryset(self):
        self.filterset = AuditFindingFilterSet(
            self.request.GET, queryset=AuditFinding.objects.none(), request=self.request
        )
        return selectors.finding_list(user=self.request.user, filters=self.request.GET, request=self.request)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        ctx.update(
            filter=self.filterset,
            query_without_page=query.urlencode(),
            may_raise=selectors.may_raise(self.request.user),
            today=timezone.localdate(),
        )
        return ctx


class FindingCreateView(PermissionRequiredMixin, TemplateView):
    """Raise a finding; the subject comes from the "Raise finding" link of a deployment's, model's or review's page."""

    permission_required = ADD
    template_name = "reports/finding_form.html"

    def _subject(self, form):
        data = form.data if form.is_bound else form.initial
        return services.subject_visible(
            user=self.request.user, subject_type=data.get("subject_type"), subject_id=data.get("subject_id")
        )

    def get(self, request):
        initial = {k: request.GET[k] for k in ("subject_type", "subject_id") if k in request.GET}
        form = AuditFindingForm(initial=initial)
        return self.render_to_response({"form": form, "subject": self._subject(form)})

    def post(self, request):
        form = AuditFindingForm(request.POST)
        if form.is_valid():
            try:
                finding = services.finding_create(ctx=AuditContext.from_request(request), **form.cleaned_data)
            except (ValidationError, ConflictError) as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"{finding.reference} raised.")
                return redirect("reports:finding_detail", pk=finding.pk)
        return self.render_to_response({"form": form, "subject": self._subject(form)}, status=400)


class FindingDetailView(LoginRequiredMixin, TemplateView):
    """A finding with its subject, its status history and, for who may, the status-change form."""

    template_name = "reports/finding_detail.html"

    def get_context_data(self, form=None, **kwargs):
        ctx = super().get_context_data(**kwargs)
        finding = selectors.finding_get(user=self.request.user, pk=kwargs["pk"])
        choices = available_statuses(user=self.request.user, finding=finding)
        ctx.update(
            finding=finding,
            events=selectors.finding_events(finding=finding),
            status_form=form or (FindingStatusForm(choices=choices) if choices else None),
        )
        return ctx


class FindingStatusView(LoginRequiredMixin, View):
    """POST: change the finding's status with a reason (managers; the owner accepts and remediates)."""

    def post(self, request, pk):
        finding = selectors.finding_get(user=request.user, pk=pk)
        choices = available_statuses(user=request.user, finding=finding)
        if not choices:
            raise PermissionDenied("Only deployment managers and the finding's owner may change its status.")
        form = FindingStatusForm(request.POST, choices=choices)
        if form.is_valid():
            try:
                services.finding_change_status(
                    ctx=AuditContext.from_request(request), finding=finding, **form.cleaned_data
                )
            except (ValidationError, ConflictError) as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"{finding.reference} is now {form.cleaned_data['status']}.")
                return redirect("reports:finding_detail", pk=finding.pk)
        view = FindingDetailView(request=request, kwargs={"pk": pk})
        ctx = view.get_context_data(form=form, pk=pk)
        return view.render_to_response(ctx, status=400)
