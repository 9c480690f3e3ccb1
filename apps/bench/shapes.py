"""The shapes of the benchmark's generated deployments, shared by both generators (Python chunks in `dataset`, SQL
batches in `dataset_sql`): status mixes, when a deployment counts as done, its fixed texts."""

import datetime as dt

from apps.deployment_models.models import Trigger
from apps.deployments.workflow import Status

FINAL_MIX = [
    (Status.COMPLETED, 88),
    (Status.FAILED, 2),
    (Status.ROLLED_BACK, 3),
    (Status.CANCELLED, 5),
    (Status.REJECTED, 2),
]
FUTURE_MIX = [(Status.DRAFT, 20), (Status.PENDING_APPROVAL, 30), (Status.APPROVED, 50)]
TRIGGERS = list(Trigger.values)
FINISHED_WITHIN = dt.timedelta(hours=8)  # a deployment whose work could still be going on is not yet done
ACCEPTANCE = "Smoke test passed"  # every generated deployment names one acceptance check (the evidence rules)
BACK_OUT = "Redeploy the previous version from the artifact repository; verify the health checks."
ROLLED_BACK_AFTER = dt.timedelta(minutes=20)  # a roll-back's event, after the failed deployment's end

# the columns of each table's COPY text in the Python chunks
D_COLS = [
    "id",
    "reference",
    "title",
    "action",
    "trigger",
    "model_id",
    "stage_id",
    "service_id",
    "environment_id",
    "change_ref",
    "release_ref",
    "requester_id",
    "manager_id",
    "supplier_id",
    "planned_start",
    "planned_end",
    "actual_start",
    "actual_end",
    "status",
    "outcome",
    "requirements",
    "acceptance_criteria",
    "is_rollback",
    "handover_note",
    "override_count",
    "external_id",
    "submitted_at",
    "approved_at",
    "version",
    "created_at",
    "updated_at",
    "back_out_plan",
    "released_at",
    "knowledge_links",
    "pilot_comment",
]
E_COLS = [
    "id",
    "deployment_id",
    "at",
    "actor_id",
    "channel",
    "token_name",
    "kind",
    "from_status",
    "to_status",
    "comment",
    "data",
]
C_COLS = [
    "deployment_id",
    "kind",
    "description",
    "result",
    "evidence",
    "component_version_id",
    "observed_checksum",
    "required",
    "recorded_by_id",
    "recorded_at",
]
A_COLS = ["deployment_id", "user_id", "role", "decision", "comment", "at", "superseded"]
I_COLS = [
    "deployment_id",
    "incident_ref",
    "title",
    "severity",
    "opened_at",
    "resolved_at",
    "created_by_id",
    "withdrawn_reason",
]
F_COLS = ["deployment_id", "user_id", "rating_lead_time", "rating_quality", "comment", "at"]
