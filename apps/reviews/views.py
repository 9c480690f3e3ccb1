"""Pages of reviews: the list, the review workspace, planning and recording, completing, and initiatives."""

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.utils import timezone
from django.views import View
from django.views.generic import ListView, TemplateView

from apps.core.exceptions import ConflictError
from apps.core.forms import add_service_error
from apps.core.permissions import user_can
from apps.reviews import selectors, services
from apps.reviews.analysis import analysis_for
from apps.reviews.filters import STATES, ImprovementInitiativeFilterSet, ModelReviewFilterSet
from apps.reviews.forms import (
    InitiativeForm,
    ReviewCompleteForm,
    ReviewCreateForm,
    ReviewNoteForm,
    ReviewUpdateForm,
)
from apps.reviews.models import ImprovementInitiative, ModelReview, ReviewStatus
from apps.reviews.permissions import INITIATIVE_REFUSAL, initiative_may_change, initiative_may_reassign

VIEW = "reviews.view_modelreview"
ADD = "reviews.add_modelreview"
RUN = "reviews.change_modelreview"
VIEW_INITIATIVE = "reviews.view_improvementinitiative"
ADD_INITIATIVE = "reviews.add_improvementinitiative"


def _query_without(request, *keys) -> str:
    query = request.GET.copy()
    for key in keys:
        query.pop(key, None)
    return query.urlencode()


class ReviewListView(PermissionRequiredMixin, ListView):
    """Due, overdue and in-progress reviews (open ones by default), with filters."""

    permission_required = VIEW
    template_name = "reviews/review_list.html"
    context_object_name = "reviews"
    paginate_by = 50

    def get_queryset(self):
        data = self.request.GET.copy()
        if "state" not in data:
            data["state"] = "open"
        self.filterset = ModelReviewFilterSet(data, queryset=ModelReview.objects.none(), request=self.request)
        self.state = data.get("state", "")
        return selectors.review_list(user=self.request.user, filters=data, request=self.request)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            filter=self.filterset,
            state=self.state,
            states=[
                ("open", "Open"),
                ("due", "Due"),
                ("overdue", "Overdue"),
                ("in_progress", "In progress"),
                ("completed", "Completed"),
                ("", "All"),
            ],
            counts=selectors.review_counts(user=self.request.user),
            query_without_state=_query_without(self.request, "state", "page"),
            query_without_page=_query_without(self.request, "page"),
            can_add=user_can(self.request.user, ADD),
            today=timezone.localdate(),
            state_labels=dict(STATES),
        )
        return ctx


class ReviewCreateView(PermissionRequiredMixin, TemplateView):
    permission_required = ADD
    template_name = "reviews/review_form.html"

    def get(self, request):
        initial = {"model": request.GET.get("model")} if request.GET.get("model", "").isdigit() else {}
        return self.render_to_response({"form": ReviewCreateForm(initial=initial), "title": "Plan a review"})

    def post(self, request):
        form = ReviewCreateForm(request.POST)
        if form.is_valid():
            try:
                data = dict(form.cleaned_data)
                data["participants"] = list(data["participants"])
                review = services.review_create(actor=request.user, **data)
            except (ValidationError, ConflictError) as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"{review} planned.")
                return redirect("reviews:review_detail", pk=review.pk)
        return self.render_to_response({"form": form, "title": "Plan a review"}, status=400)


class ReviewDetailView(PermissionRequiredMixin, TemplateView):
    """The review workspace: the analysis with its chart, findings, decision, initiatives and the next step."""

    permission_required = VIEW
    template_name = "reviews/review_detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        review = selectors.review_get(user=self.request.user, pk=kwargs["pk"])
        ctx.update(
            review=review,
            a=analysis_for(review.analysis, self.request.user),
            chart=selectors.review_chart(review=review),
            initiatives=list(selectors.review_initiatives(review=review)),
            actions=selectors.review_available_actions(review=review, user=self.request.user),
            note_form=ReviewNoteForm(),
            overdue=review.is_overdue(),
        )
        return ctx


def _run(request, pk, action, success: str):
    """Call a POST-only review service; refusals come back as messages, never as 500s."""
    review = selectors.review_get(user=request.user, pk=pk)
    try:
        action(review)
    except (ConflictError, ValidationError) as exc:
        messages.error(request, exc.message if isinstance(exc, ConflictError) else " ".join(exc.messages))
    else:
        messages.success(request, success)
    return redirect("reviews:review_detail", pk=review.pk)


class ReviewStartView(PermissionRequiredMixin, View):
    permission_required = RUN
    http_method_names = ["post"]

    def post(self, request, pk):
        return _run(
            request,
            pk,
            lambda r: services.review_start(review=r, actor=request.user),
            "Review started: the analysis of the model's records is ready.",
        )


class ReviewNoteView(PermissionRequiredMixin, View):
    """A participant's note on the findings (participants, the facilitator and managers)."""

    permission_required = VIEW
    http_method_names = ["post"]

    def post(self, request, pk):
        review = selectors.review_get(user=request.user, pk=pk)
        if not services.review_note_allowed(actor=request.user, review=review):
            raise PermissionDenied("Only the participants of this review and deployment managers add notes to it.")
        form = ReviewNoteForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Write the note (at most 5000 characters).")
            return redirect("reviews:review_detail", pk=review.pk)
        text = form.cleaned_data["text"]
        return _run(request, pk, lambda r: services.review_add_note(review=r, actor=request.user, text=text), "Noted.")


class ReviewUpdateView(PermissionRequiredMixin, TemplateView):
    permission_required = RUN
    template_name = "reviews/review_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not self.has_permission():
            return self.handle_no_permission()
        self.review = selectors.review_get(user=request.user, pk=kwargs["pk"])
        if self.review.status == ReviewStatus.COMPLETED:
            messages.warning(request, "The review is completed: it cannot be changed.")
            return redirect("reviews:review_detail", pk=self.review.pk)
        return super().dispatch(request, *args, **kwargs)

    def _render(self, form, status=200):
        return self.render_to_response({"form": form, "review": self.review, "title": "Edit review"}, status=status)

    def get(self, request, pk):
        return self._render(ReviewUpdateForm(instance=self.review))

    def post(self, request, pk):
        form = ReviewUpdateForm(request.POST, instance=ModelReview.objects.get(pk=self.review.pk))
        if form.is_valid():
            try:
                services.review_update(review=self.review, actor=request.user, **form.service_kwargs())
            except (ValidationError, ConflictError) as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, "Review saved.")
                return redirect("reviews:review_detail", pk=self.review.pk)
        return self._render(form, status=400)


class ReviewCompleteView(PermissionRequiredMixin, TemplateView):
    permission_required = RUN
    template_name = "reviews/review_complete.html"

    def _render(self, review, form, status=200):
        return self.render_to_response({"review": review, "form": form}, status=status)

    def get(self, request, pk):
        review = selectors.review_get(user=request.user, pk=pk)
        if review.status != ReviewStatus.IN_PROGRESS:
            messages.warning(request, "Only a review in progress can be completed.")
            return redirect("reviews:review_detail", pk=review.pk)
        initial = {"decision": review.decision, "findings": review.findings, "lessons_learnt": review.lessons_learnt}
        return self._render(review, ReviewCompleteForm(initial=initial))

    def post(self, request, pk):
        review = selectors.review_get(user=request.user, pk=pk)
        form = ReviewCompleteForm(request.POST)
        if form.is_valid():
            try:
                review = services.review_complete(review=review, actor=request.user, **form.cleaned_data)
            except (ValidationError, ConflictError) as exc:
                add_service_error(form, exc)
            else:
                text = f"Review completed: {review.get_decision_display().lower()}."
                if review.new_model_version:
                    text += f" {review.new_model_version} is the draft to work on."
                messages.success(request, text)
                return redirect("reviews:review_detail", pk=review.pk)
        return self._render(review, form, status=400)


class InitiativeCreateView(PermissionRequiredMixin, TemplateView):
    permission_required = ADD_INITIATIVE
    template_name = "reviews/initiative_form.html"

    def _render(self, review, form, status=200):
        return self.render_to_response({"review": review, "form": form, "title": "New initiative"}, status=status)

    def get(self, request, pk):
        review = selectors.review_get(user=request.user, pk=pk)
        return self._render(review, InitiativeForm())

    def post(self, request, pk):
        review = selectors.review_get(user=request.user, pk=pk)
        form = InitiativeForm(request.POST)
        if form.is_valid():
            try:
                services.initiative_create(review=review, actor=request.user, **form.service_kwargs())
            except (ValidationError, ConflictError) as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, "Initiative recorded.")
                return redirect("reviews:review_detail", pk=review.pk)
        return self._render(review, form, status=400)


class InitiativeListView(PermissionRequiredMixin, ListView):
    permission_required = VIEW_INITIATIVE
    template_name = "reviews/initiative_list.html"
    context_object_name = "initiatives"
    paginate_by = 50

    def get_queryset(self):
        data = self.request.GET.copy()
        if "open" not in data and "status" not in data:
            data["open"] = "true"
        self.filterset = ImprovementInitiativeFilterSet(data, queryset=ImprovementInitiative.objects.none())
        return selectors.initiative_list(user=self.request.user, filters=data, request=self.request)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(filter=self.filterset, query_without_page=_query_without(self.request, "page"))
        return ctx


class InitiativeUpdateView(PermissionRequiredMixin, TemplateView):
    """Managers change initiatives; the owner of one updates it (not its owner)."""

    permission_required = VIEW_INITIATIVE
    template_name = "reviews/initiative_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not self.has_permission():
            return self.handle_no_permission()
        self.initiative = selectors.initiative_get(user=request.user, pk=kwargs["pk"])
        if not initiative_may_change(initiative=self.initiative, user=request.user):
            raise PermissionDenied(INITIATIVE_REFUSAL)
        self.may_reassign = initiative_may_reassign(user=request.user)
        return super().dispatch(request, *args, **kwargs)

    def _render(self, form, status=200):
        ctx = {"review": self.initiative.review, "initiative": self.initiative, "form": form}
        ctx["title"] = "Edit initiative"
        return self.render_to_response(ctx, status=status)

    def get(self, request, pk):
        return self._render(InitiativeForm(instance=self.initiative, may_reassign=self.may_reassign))

    def post(self, request, pk):
        form = InitiativeForm(
            request.POST, instance=ImprovementInitiative.objects.get(pk=pk), may_reassign=self.may_reassign
        )
        if form.is_valid():
            try:
                services.initiative_update(initiative=self.initiative, actor=request.user, **form.service_kwargs())
            except (ValidationError, ConflictError) as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, "Initiative saved.")
                return redirect("reviews:initiative_list")
        return self._render(form, status=400)
