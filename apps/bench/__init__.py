"""Development tooling above every other app: the DESIGN.md §7 benchmark, its generator, and the `make run` demo.

Installed only by the bench, test and dev settings (`make run`'s demo reuses the generator); never in production.
"""
