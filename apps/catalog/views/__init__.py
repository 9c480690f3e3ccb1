"""Catalog pages, one module per model: services (with their stakeholders), components and their versions, and
suppliers; thin views over the catalog's selectors and services, on the bases in `common`."""
