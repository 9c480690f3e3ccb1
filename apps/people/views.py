"""Pages of people: one's own skills (from the profile page) and the delegations of approval (managers)."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.views import View
from django.views.generic import TemplateView

from apps.core.exceptions import ConflictError
from apps.core.forms import add_service_error
from apps.people import selectors, services
from apps.people.forms import DelegationForm, SkillForm
from apps.people.models import Skill


class SkillListView(LoginRequiredMixin, TemplateView):
    """Your skills: the competencies (L, A, C, M, T) you are skilled in, where, and how well."""

    template_name = "people/skill_list.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["skills"] = selectors.skill_list(user=self.request.user)
        ctx["form"] = kwargs.get("form") or SkillForm()
        return ctx

    def post(self, request):
        form = SkillForm(request.POST)
        if form.is_valid():
            try:
                skill = services.skill_record(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"Recorded: {skill.get_competency_display()} ({skill.get_level_display()}).")
                return redirect("people:skill_list")
        return self.render_to_response(self.get_context_data(form=form), status=400)


class SkillRemoveView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        skill = get_object_or_404(Skill, pk=pk, user=request.user)  # another's skill is not yours to see
        services.skill_remove(actor=request.user, skill=skill)
        messages.success(request, "Skill removed.")
        return redirect("people:skill_list")


class DelegationListView(PermissionRequiredMixin, TemplateView):
    """Delegations of approval: every one, with who delegated to whom, for when and what; a form to delegate."""

    permission_required = selectors.APPROVE_PERM
    template_name = "people/delegation_list.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["delegations"] = selectors.delegation_list(user=self.request.user)[:200]
        ctx["form"] = kwargs.get("form") or DelegationForm()
        return ctx

    def post(self, request):
        form = DelegationForm(request.POST)
        if form.is_valid():
            try:
                delegation = services.delegation_create(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"Approval delegated to {delegation.deputy}.")
                return redirect("people:delegation_list")
        return self.render_to_response(self.get_context_data(form=form), status=400)


class DelegationRevokeView(PermissionRequiredMixin, View):
    permission_required = selectors.APPROVE_PERM
    http_method_names = ["post"]

    def post(self, request, pk):
        delegation = get_object_or_404(selectors.delegation_list(user=request.user), pk=pk)
        try:
            services.delegation_revoke(actor=request.user, delegation=delegation)
        except (ConflictError, PermissionDenied) as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Delegation to {delegation.deputy} revoked.")
        return redirect("people:delegation_list")
