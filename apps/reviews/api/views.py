"""API ViewSets of reviews and initiatives: the same selectors and services as the pages."""

from django.core.exceptions import ValidationError
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.audit.context import API
from apps.core.api.permissions import May, WritePermission, by_permission
from apps.core.permissions import user_can
from apps.reviews import selectors, services
from apps.reviews.api.serializers import ImprovementSerializer, ReviewCompleteInputSerializer, ReviewSerializer
from apps.reviews.filters import ImprovementInitiativeFilterSet, ModelReviewFilterSet
from apps.reviews.models import ImprovementInitiative, ModelReview
from apps.reviews.permissions import INITIATIVE_REFUSAL, initiative_may_change


class _RolePermission(permissions.BasePermission):
    """Reading needs the view permission of a role; who may write is WritePermission's (the view's write_rules,
    the same permissions the services check again)."""

    model_name = ""

    def has_permission(self, request, view):
        return user_can(request.user, f"reviews.view_{self.model_name}")


class ReviewPermission(_RolePermission):
    model_name = "modelreview"


class ImprovementPermission(_RolePermission):
    model_name = "improvementinitiative"


class _Base(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    filter_backends = [DjangoFilterBackend]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]


class ReviewViewSet(_Base):
    """Reviews of deployment models; `start` computes the analysis, `complete` records the decision."""

    serializer_class = ReviewSerializer
    permission_classes = [ReviewPermission, WritePermission]
    write_rules = {
        "create": May(perm=services.ADD, message="Only deployment managers may plan reviews."),
        **{
            action: May(perm=services.RUN, message="Only deployment managers may run reviews.")
            for action in ("update", "start", "complete")
        },
    }
    filterset_class = ModelReviewFilterSet
    queryset = ModelReview.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ModelReview.objects.none()
        return selectors.review_list(user=self.request.user).prefetch_related("participants")

    def get_object(self):
        review = selectors.review_get(user=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, review)
        return review

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        # findings, lessons and decision are recorded once the review has started: a 400 here, not review_create's 500
        if recorded := sorted(key for key in services.RECORD_FIELDS if data.pop(key, None)):
            raise ValidationError(dict.fromkeys(recorded, "Recorded once the review has started: PATCH it then."))
        serializer.instance = services.review_create(channel=API, actor=self.request.user, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        review = serializer.instance
        for fixed in ("model", "kind"):
            if fixed in data and data.pop(fixed) != getattr(review, fixed):
                raise ValidationError({fixed: "A review's model and kind are set when it is planned."})
        serializer.instance = services.review_update(channel=API, review=review, actor=self.request.user, **data)

    @extend_schema(request=None, responses=ReviewSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        review = services.review_start(channel=API, review=self.get_object(), actor=request.user)
        return Response(ReviewSerializer(review, context=self.get_serializer_context()).data)

    @extend_schema(request=ReviewCompleteInputSerializer, responses=ReviewSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        review = self.get_object()
        data = ReviewCompleteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = services.review_complete(channel=API, review=review, actor=request.user, **data.validated_data)
        return Response(ReviewSerializer(review, context=self.get_serializer_context()).data)


class ImprovementViewSet(_Base):
    """Improvement initiatives from reviews, tracked to closure."""

    serializer_class = ImprovementSerializer
    permission_classes = [ImprovementPermission, WritePermission]
    write_rules = {
        "create": by_permission(services.ADD_INITIATIVE),
        "update": May(
            on=lambda user, initiative: initiative_may_change(initiative=initiative, user=user),
            message=INITIATIVE_REFUSAL,
        ),
    }
    filterset_class = ImprovementInitiativeFilterSet
    queryset = ImprovementInitiative.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ImprovementInitiative.objects.none()
        return selectors.initiative_list(user=self.request.user)

    def get_object(self):
        initiative = selectors.initiative_get(user=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, initiative)
        return initiative

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        review = selectors.review_get(user=self.request.user, pk=data.pop("review").pk)
        serializer.instance = services.initiative_create(channel=API, review=review, actor=self.request.user, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        initiative = serializer.instance
        if "review" in data and data.pop("review").pk != initiative.review_id:
            raise ValidationError({"review": "An initiative stays with the review it came from."})
        serializer.instance = services.initiative_update(
            channel=API, initiative=initiative, actor=self.request.user, **data
        )
