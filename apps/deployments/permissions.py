"""Who may do what to one deployment: the roles of DESIGN.md §1 on top of object permissions."""

from apps.core.permissions import user_can
from apps.deployments import workflow
from apps.deployments.models import CheckKind, Deployment
from apps.environments.selectors import expired_clearance, practitioner_is_cleared
from apps.people.selectors import delegation_for
from apps.roles import definitions as roles
from apps.roles.selectors import user_has_role


def is_manager(user) -> bool:
    return user_can(user, "deployments.approve_deployment")


def is_service_owner_of(user, deployment: Deployment) -> bool:
    return user.is_authenticated and deployment.service.owners.filter(pk=user.pk).exists()


def is_assigned_practitioner(user, deployment: Deployment) -> bool:
    """Whether `user` is one of the deployment's practitioners: from the practitioners already read (a deployment's
    page prefetches them), else one query."""
    if not user.is_authenticated:
        return False
    if "practitioners" in getattr(deployment, "_prefetched_objects_cache", {}):
        return any(p.pk == user.pk for p in deployment.practitioners.all())
    return deployment.practitioners.filter(pk=user.pk).exists()


# The checks a supplier contact records on their supplier's deployments (DESIGN.md §1): not the entry and exit
# criteria, which are the deployment team's.
SUPPLIER_CHECK_KINDS = (CheckKind.COMPONENT, CheckKind.ENVIRONMENT, CheckKind.ACCEPTANCE)


def is_supplier_contact_of(user, deployment: Deployment) -> bool:
    """Whether `user` holds the Supplier contact role for the supplier taking part in this deployment."""
    return (
        user.is_authenticated
        and user.is_active
        and deployment.supplier_id is not None
        and user_has_role(user, roles.SUPPLIER_CONTACT)
        and user.supplier_contacts.filter(pk=deployment.supplier_id).exists()
    )


def may_record_checks(user, deployment: Deployment) -> bool:
    """Record check results on this deployment: those who execute it, and its supplier's contacts (some kinds)."""
    return may_execute(user, deployment) or is_supplier_contact_of(user, deployment)


def may_record_check(user, deployment: Deployment, kind: str) -> bool:
    """may_record_checks, for a check of this kind: a supplier contact records component, environment and
    acceptance checks only."""
    if may_execute(user, deployment):
        return True
    return kind in SUPPLIER_CHECK_KINDS and is_supplier_contact_of(user, deployment)


def requires_clearance(environment) -> bool:
    """Practitioners need a clearance (object permission, not expired) for every controlled environment."""
    return environment.controlled


def practitioner_cleared(user, environment) -> bool:
    """The clearance an assigned practitioner needs for the environment (none for an uncontrolled one)."""
    return not requires_clearance(environment) or practitioner_is_cleared(user=user, environment=environment)


def deputy_delegation(user, deployment: Deployment):
    """The delegation in force that lets `user` decide on `deployment` on a manager's behalf (None when none does):
    in scope, and never on behalf of the manager who requested it (segregation of duties holds for them too)."""
    return delegation_for(
        deputy=user,
        environment_id=deployment.environment_id,
        service_id=deployment.service_id,
        requester_id=deployment.requester_id,
    )


def practitioner_may_execute(user, deployment: Deployment) -> bool:
    if not is_assigned_practitioner(user, deployment):
        return False
    if not user_can(user, "deployments.execute_deployment", deployment):
        return False
    return practitioner_cleared(user, deployment.environment)


def may_request_for_service(user, service) -> bool:
    """Create/edit/submit: managers and practitioners for any service; owners and product owners for theirs."""
    if not user_can(user, "deployments.add_deployment"):
        return False
    if user_can(user, "deployments.view_deployment"):
        return True
    return user_can(user, "catalog.request_service_deployment", service)


def _held_capacities(user, deployment: Deployment, transition: workflow.Transition) -> set[str]:
    """The capacities `user` holds for `transition`, before segregation of duties; never SYSTEM (not a person)."""
    if not user.is_authenticated or not user.is_active:
        return set()
    capacities = set()
    if workflow.MANAGER in transition.actors and is_manager(user):
        capacities.add(workflow.MANAGER)
    elif workflow.DEPUTY in transition.actors and deputy_delegation(user, deployment) is not None:
        capacities.add(workflow.DEPUTY)
    if (
        workflow.REQUESTER in transition.actors
        and deployment.requester_id == user.pk
        and may_request_for_service(user, deployment.service)
    ):
        capacities.add(workflow.REQUESTER)
    if workflow.PRACTITIONER in transition.actors and practitioner_may_execute(user, deployment):
        capacities.add(workflow.PRACTITIONER)
    if (
        workflow.SIGNOFF in transition.actors
        and deployment.stage is not None
        and deployment.stage.requires_service_owner_approval
        and user_has_role(user, roles.SERVICE_OWNER)
        and is_service_owner_of(user, deployment)
    ):
        capacities.add(workflow.SIGNOFF)
    return capacities


def segregated_capacities(user, deployment: Deployment, transition: workflow.Transition) -> set[str]:
    """The capacities segregation of duties takes from the deployment's own requester for this transition (the
    Readiness panel names it; actor_capacities leaves them out)."""
    return set(transition.not_for_requester_as) if deployment.requester_id == user.pk else set()


def actor_capacities(user, deployment: Deployment, transition: workflow.Transition) -> set[str]:
    """The capacities (requester, manager, practitioner, signoff) in which `user` may take `transition`, segregation
    of duties included: the page's buttons, the API and the service all ask this one question."""
    return _held_capacities(user, deployment, transition) - segregated_capacities(user, deployment, transition)


def segregation_refuses(user, deployment: Deployment, transition: workflow.Transition) -> bool:
    """Whether segregation of duties is what takes `transition` from `user` (they would hold a capacity otherwise)."""
    return bool(_held_capacities(user, deployment, transition) & segregated_capacities(user, deployment, transition))


def transition_refusal(user, deployment: Deployment, transition: workflow.Transition) -> str:
    """Why `user` may not take `transition` (actor_capacities is empty): segregation of duties, or no capacity."""
    if segregation_refuses(user, deployment, transition):
        return f"Segregation of duties: the requester of a deployment cannot {transition.name} it."
    if workflow.PRACTITIONER in transition.actors and (gap := clearance_gap(user, deployment)):
        return gap
    return f"You may not {transition.label.lower()} {deployment.reference}."


def clearance_gap(user, deployment: Deployment) -> str:
    """Why an assigned practitioner may not act on `deployment` for want of a clearance ("" when that is not why):
    an expired clearance is named with its expiry."""
    environment = deployment.environment
    if not requires_clearance(environment) or not is_assigned_practitioner(user, deployment):
        return ""
    if practitioner_is_cleared(user=user, environment=environment):
        return ""
    expired = expired_clearance(user=user, environment=environment)
    if expired is not None:
        return (
            f"Your clearance for {environment} expired on {expired.expires_at:%Y-%m-%d %H:%M} UTC: a deployment "
            f"manager must renew it before you can act on {deployment.reference}."
        )
    return f"You are not cleared for {environment}, a controlled environment: a deployment manager must clear you."


def available_transitions(user, deployment: Deployment) -> list[workflow.Transition]:
    """The transitions the page offers this user now; the service checks again when one is taken."""
    return [t for t in workflow.transitions_from(deployment.status) if actor_capacities(user, deployment, t)]


def may_edit(user, deployment: Deployment) -> bool:
    if deployment.status not in workflow.PLANNING:
        return False
    if is_manager(user):
        return True
    return (
        deployment.requester_id == user.pk
        and deployment.status == workflow.Status.DRAFT
        and may_request_for_service(user, deployment.service)
    )


def may_execute(user, deployment: Deployment) -> bool:
    return is_manager(user) or practitioner_may_execute(user, deployment)


def may_release(user, deployment: Deployment) -> bool:
    """Who records the release of a completed deployment to its users: a deployment manager, or a practitioner
    assigned to it (and cleared for its environment) — the people who carried it out."""
    return may_execute(user, deployment)


def may_edit_back_out_plan(user, deployment: Deployment) -> bool:
    """The back-out plan is edited by the people who would carry it out, until the deployment is final."""
    return deployment.status not in workflow.FINAL and may_execute(user, deployment)


# --- asked before a request's body is read (API WritePermission rules and the page actions alike) -----------------


def may_edit_ever(user, deployment: Deployment) -> bool:
    """Managers, the requester while they may request for its service, and the assigned practitioners (who edit
    the back-out plan alone); whether its status still allows an edit is the service's answer (409)."""
    return (
        is_manager(user)
        or (deployment.requester_id == user.pk and may_request_for_service(user, deployment.service))
        or practitioner_may_execute(user, deployment)
    )


def may_take(user, deployment: Deployment, name: str) -> bool:
    """Whether `user` has a capacity for transition `name` on this deployment, whatever its status (the service
    answers 409 for a transition not possible now)."""
    transition = workflow.TRANSITIONS.get(name)
    if transition is None:
        return False
    return bool(actor_capacities(user, deployment, transition))  # segregation of duties included


def may_rate(user, deployment: Deployment) -> bool:
    """The requester and the service's owners rate a deployment (once it is completed: the service's 409)."""
    return deployment.requester_id == user.pk or is_service_owner_of(user, deployment)


def may_rate_now(user, deployment: Deployment) -> bool:
    """may_rate, and the deployment is completed: when the page offers the rating form (unless already rated) and
    feedback_submit takes a rating."""
    return deployment.status == workflow.Status.COMPLETED and may_rate(user, deployment)


def may_comment(user, deployment: Deployment) -> bool:
    """Anyone who may request deployments comments on the ones they see."""
    return user_can(user, "deployments.add_deployment")


def may_start_build(user, environment) -> bool:
    """Whether `user` could start a deployment of a build into `environment` once it is planned: a deployment manager,
    or a practitioner cleared for it (who assigns themselves when registering it, as pipelines do)."""
    if not user.is_authenticated or not user.is_active:
        return False
    return is_manager(user) or (user_has_role(user, roles.PRACTITIONER) and practitioner_cleared(user, environment))
