"""App config for the development tooling: the benchmark, its data generator and the demo data (not in production)."""

from django.apps import AppConfig


class BenchConfig(AppConfig):
    name = "apps.bench"
    label = "bench"
    verbose_name = "Benchmark and demo data"
