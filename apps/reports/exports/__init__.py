"""Exports for auditors: the deployment register (CSV, Excel), the audit trail (CSV) and the audit pack (ZIP).

Every export reads through the same selectors and FilterSets as the pages, so it holds exactly what the user may
see. Rows are fetched with `.values_list(...).iterator(chunk_size=...)` (a server-side cursor on PostgreSQL) and
written as they come, so memory stays constant whatever the number of rows. The register CSV download on
PostgreSQL is written by the database itself (`COPY ... TO STDOUT`, register_csv.py) and passed on in large
chunks, so a million rows stream in seconds without becoming Python objects (DESIGN.md §7).
"""

from apps.reports.exports.audit_pack import audit_pack_parts, audit_pack_size, write_audit_pack
from apps.reports.exports.registers import (
    APPROVAL_HEADER,
    AUDIT_HEADER,
    BACKGROUND_ROWS,
    CHUNK,
    DEPLOYMENT_COLUMNS,
    DEPLOYMENT_HEADER,
    DEPLOYMENT_TEXT,
    OVERRIDE_HEADER,
    approval_rows,
    audit_rows,
    deployment_rows,
    export_deployments,
    export_require,
    override_rows,
    params_to_json,
)
from apps.reports.exports.writers import cell, csv_chunks, write_csv, write_xlsx

__all__ = [
    "APPROVAL_HEADER",
    "AUDIT_HEADER",
    "BACKGROUND_ROWS",
    "CHUNK",
    "DEPLOYMENT_COLUMNS",
    "DEPLOYMENT_HEADER",
    "DEPLOYMENT_TEXT",
    "OVERRIDE_HEADER",
    "approval_rows",
    "audit_pack_parts",
    "audit_pack_size",
    "audit_rows",
    "cell",
    "csv_chunks",
    "deployment_rows",
    "export_deployments",
    "export_require",
    "override_rows",
    "params_to_json",
    "write_audit_pack",
    "write_csv",
    "write_xlsx",
]
