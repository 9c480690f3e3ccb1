"""Demo data for reports: the "what is where" snapshot rebuilt from the demo deployments just seeded
(the demo dates some completions after walking them through the process, so the kept snapshot is recomputed)."""

from apps.deployments.services.matrix_snapshot import matrix_snapshot_rebuild


def seed(users) -> None:
    matrix_snapshot_rebuild()
