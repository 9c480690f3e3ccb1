"""Tests of the deployments REST API and the pipeline story (DESIGN.md §5)."""
