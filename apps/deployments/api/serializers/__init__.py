"""API shapes of deployments and what the process records on them (DESIGN.md §5), one module per resource: the
deployment itself (`deployments`), its records (`records`), its risk factors (`risk`), and the fields they share
(`fields`). Input is parsed here and written by the services."""
