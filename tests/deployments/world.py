"""The deployments' part of the shared test world.

- `w.draft`: a draft by the product owner for w.service to staging (visible to service and product owner).
- `w.deployment`: an approved deployment of w.service to test, w.users["practitioner"] assigned, w.supplier taking
  part (so w.users["supplier_contact"] sees it).
- `w.other_deployment`: a draft of w.other_service by the manager (outside the owners' scope).
"""

from guardian.shortcuts import assign_perm

from apps.deployments.services import Context, deployment_transition
from tests.factories.deployments import plan, soon


def extend(w) -> None:
    manager, practitioner = w.users["manager"], w.users["practitioner"]
    # every controlled environment needs a clearance: the world's practitioner holds one for each of the three
    for environment in (w.env_test, w.env_staging, w.env_prod):
        assign_perm("environments.deploy_to_environment", practitioner, environment)
    w.draft = plan(
        requester=w.users["product_owner"],
        service=w.service,
        environment=w.env_staging,
        versions=[w.version_2],
        start=soon(12),
        title="Shop 1.1.0 to staging",
    )
    w.deployment = plan(
        requester=w.users["product_owner"],
        service=w.service,
        environment=w.env_test,
        versions=[w.version_1],
        start=soon(14),
        practitioners=[practitioner],
        title="Shop 1.0.0 to test",
        supplier=w.supplier,  # its supplier's contact (w.users["supplier_contact"]) sees it and records its checks
    )
    deployment_transition(ctx=Context(actor=w.users["product_owner"]), deployment=w.deployment, transition="submit")
    deployment_transition(ctx=Context(actor=manager), deployment=w.deployment, transition="approve")
    w.deployment.refresh_from_db()
    w.other_deployment = plan(
        requester=manager,
        service=w.other_service,
        environment=w.env_test,
        versions=[w.other_version],
        start=soon(16),
        title="Payroll 3.2.0 to test",
    )
