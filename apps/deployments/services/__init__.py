"""Every write on deployments: planning, the state machine, and what the process records."""

from apps.deployments.services.events import Context, event_record
from apps.deployments.services.pilot import deployment_pilot_confirm, pilot_confirm_refusal
from apps.deployments.services.planning import (
    BULK_LIMIT,
    ItemInvalid,
    bulk_idempotency_keys,
    deployment_create,
    deployment_register,
    deployment_register_many,
)
from apps.deployments.services.plans import (
    deployment_release,
    step_add,
    step_record,
    step_remove,
    step_update,
    steps_reorder,
)
from apps.deployments.services.records import (
    check_record,
    comment_add,
    feedback_submit,
    incident_link_add,
    incident_link_resolve,
    incident_link_withdraw,
    problem_add,
    problem_resolve,
)
from apps.deployments.services.replanning import deployment_update
from apps.deployments.services.transitions import deployment_transition

__all__ = [
    "BULK_LIMIT",
    "ItemInvalid",
    "bulk_idempotency_keys",
    "deployment_register",
    "deployment_register_many",
    "Context",
    "check_record",
    "comment_add",
    "deployment_create",
    "deployment_release",
    "deployment_pilot_confirm",
    "pilot_confirm_refusal",
    "deployment_transition",
    "deployment_update",
    "event_record",
    "feedback_submit",
    "incident_link_add",
    "incident_link_resolve",
    "incident_link_withdraw",
    "problem_add",
    "problem_resolve",
    "step_add",
    "step_record",
    "step_remove",
    "step_update",
    "steps_reorder",
]
