"""The deployments API (DESIGN.md §5): thin views over the deployment services and selectors, one module per
resource — the deployments with their transitions (`deployments`), their records (`records`, `incidents`), the
step plan and the release (`plans`), the handover, the pilot confirmation, the pipelines' gate and the inbound hooks.

What a user may not see is a 404 (the selector is the queryset); the services decide what they may do (403), what the
rules refuse (409) and what input is wrong (400), through the project's exception handler."""
