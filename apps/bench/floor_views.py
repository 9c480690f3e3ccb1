"""The benchmark's floor (DESIGN.md §7): the least a Django page, a DRF list and a DRF create cost on this server.

Each reads or writes the way the real endpoints do, through the same middleware, sessions and token
authentication, but with nothing of Deploydesk's own: one indexed query for the 50 newest deployments (the
primary key), a minimal template, a plain ModelSerializer, one INSERT. Served only by `config.urls_bench` (the
bench settings' URL map); never routed in production, development or test settings.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.template.loader import render_to_string
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers

from apps.bench.models import FloorRow
from apps.deployments.models import Deployment

FLOOR_ROWS = 50
FLOOR_FIELDS = ("id", "reference", "title", "status", "planned_start")


def floor_rows():
    """The 50 newest deployments, a few plain columns: one query on the primary key's index."""
    return Deployment.objects.order_by("-id").only(*FLOOR_FIELDS)[:FLOOR_ROWS]


@login_required
def bare_page(request):
    """A bare Django page: the rows in a minimal template (no layout, no context processors)."""
    return HttpResponse(render_to_string("bench/floor.html", {"rows": floor_rows()}))


class FloorDeploymentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Deployment
        fields = FLOOR_FIELDS


class FloorRowSerializer(serializers.ModelSerializer):
    class Meta:
        model = FloorRow
        fields = ("id", "name", "number", "created_at")
        read_only_fields = ("id", "created_at")


@extend_schema(exclude=True)
class BareListView(generics.ListAPIView):
    """A bare DRF list: the same 50 rows through a plain ModelSerializer, no pagination, filters or ordering."""

    serializer_class = FloorDeploymentSerializer
    pagination_class = None
    filter_backends = ()

    def get_queryset(self):
        return floor_rows()


@extend_schema(exclude=True)
class BareCreateView(generics.CreateAPIView):
    """A bare DRF create: one validated row inserted, 201 with the row."""

    serializer_class = FloorRowSerializer
    queryset = FloorRow.objects.all()
