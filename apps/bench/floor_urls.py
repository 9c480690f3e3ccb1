"""The floor's URLs, included only by `config.urls_bench` (the benchmark settings' URL map)."""

from django.urls import path

from apps.bench.floor_views import BareCreateView, BareListView, bare_page

urlpatterns = [
    path("bench/floor/page/", bare_page, name="bench-floor-page"),
    path("bench/floor/api/list/", BareListView.as_view(), name="bench-floor-api-list"),
    path("bench/floor/api/create/", BareCreateView.as_view(), name="bench-floor-api-create"),
]
