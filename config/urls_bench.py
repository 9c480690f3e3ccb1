"""The benchmark settings' URL map: Deploydesk's own, plus the floor's bare endpoints (apps/bench/floor_urls.py).

Only `config.settings.bench` routes here, so the bare endpoints exist nowhere else."""

from django.urls import include, path

from config.urls import handler500
from config.urls import urlpatterns as deploydesk_urlpatterns

urlpatterns = [path("", include("apps.bench.floor_urls")), *deploydesk_urlpatterns]

__all__ = ["handler500", "urlpatterns"]
