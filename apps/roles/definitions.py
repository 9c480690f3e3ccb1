"""The roles of DESIGN.md §1: their names, competency profiles and the model permissions they grant; and the
role list a deployment model's RACI matrix draws from (the roles plus the outside parties it names)."""

MANAGER = "Deployment manager"
PRACTITIONER = "Deployment practitioner"
SERVICE_OWNER = "Service owner"
PRODUCT_OWNER = "Product owner"
AUDITOR = "Auditor"
SUPPLIER_CONTACT = "Supplier contact"
ROLES = [MANAGER, PRACTITIONER, SERVICE_OWNER, PRODUCT_OWNER, AUDITOR, SUPPLIER_CONTACT]

# Parties a RACI matrix names beside the roles: the supplier's contact (a role too), and the service desk.
SERVICE_DESK = "Service desk"
PARTY_PROFILES = {
    SUPPLIER_CONTACT: ("TC", "A supplier's, vendor's or installation partner's contact who takes part in deployments."),
    SERVICE_DESK: ("C", "Receives the handover, tells users and takes their calls about the deployment."),
}
RACI_ROLES = [*ROLES, *(party for party in PARTY_PROFILES if party not in ROLES)]

# role → (competency profile: letters of apps.roles.competencies, most significant first; what the role is for; the
# skills it calls for). The deployment manager leads (L), coordinates and communicates (C) and administers (A) the
# practice; the deployment practitioner is a technical expert (T) who keeps the records (A).
PROFILES = {
    MANAGER: (
        "LCA",
        "Plans deployments, approves or rejects them, schedules them, resolves conflicts, owns deployment "
        "models and runs their reviews, watches the KPIs.",
        "Leadership and decision-making, risk assessment, planning and scheduling, stakeholder management.",
    ),
    PRACTITIONER: (
        "TA",
        "Carries out the deployments assigned to them: records component and environment checks, execution "
        "notes and verification evidence, and reports failures.",
        "Deep knowledge of the platforms and tooling deployed to, automation, troubleshooting, verification.",
    ),
    SERVICE_OWNER: (
        "CL",
        "Sees every deployment that touches their services, signs off production deployments where the model "
        "asks for it, takes part in reviews and rates deployments.",
        "Communication with consumers and the service desk, coordination across teams, service knowledge.",
    ),
    PRODUCT_OWNER: (
        "MC",
        "Requests deployments for the products they own, follows them through the process and rates them.",
        "Knowledge of the product and its release methods, requirements and acceptance criteria.",
    ),
    AUDITOR: (
        "AM",
        "Reads everything, changes nothing; exports registers, audit trails and KPI reports.",
        "Record-keeping, reporting, compliance and control frameworks, attention to evidence.",
    ),
    SUPPLIER_CONTACT: (
        "TC",
        "Sees the deployments their supplier takes part in, and only those, and records the component, environment "
        "and acceptance checks on them.",
        "Knowledge of what the supplier delivers and how it is installed, verification, coordination with the "
        "deployment team.",
    ),
}

# Model permissions each role holds globally ("app_label.codename"). Object permissions (owners of a
# service, practitioners assigned to a deployment or cleared for an environment) are granted by the services
# that change those links. Permissions of models that do not exist (yet) are skipped by roles_sync.
_REFERENCE = [
    "environments.environment",
    "environments.environmentcheck",
    "environments.freezewindow",
    "environments.maintenancewindow",
    "catalog.service",
    "catalog.servicecomponent",
    "catalog.componentversion",
    "catalog.supplier",
    "deployment_models.deploymentmodel",
    "deployment_models.modelstage",
    "deployment_models.responsibility",
]
_DEPLOYMENT = [
    "deployments.deployment",
    "deployments.approval",
    "deployments.check",
    "deployments.incidentlink",
    "deployments.feedback",
    "deployments.deploymentproblem",
]
_REVIEWS = ["reviews.modelreview", "reviews.improvementinitiative"]
_WEBHOOKS = ["integrations.webhooksubscription"]


def _crud(models: list[str], verbs=("view", "add", "change", "delete")) -> list[str]:
    return [f"{m.split('.')[0]}.{verb}_{m.split('.')[1]}" for m in models for verb in verbs]


def _view(models: list[str]) -> list[str]:
    return _crud(models, verbs=("view",))


ROLE_PERMISSIONS: dict[str, list[str]] = {
    MANAGER: [
        "accounts.view_user",
        *_crud(_REFERENCE),
        "environments.deploy_to_environment",
        *_crud(_DEPLOYMENT, verbs=("view", "add", "change")),
        "deployments.view_deploymentevent",
        "deployments.approve_deployment",
        "deployments.execute_deployment",
        "deployments.override_deployment",
        *_crud(_REVIEWS, verbs=("view", "add", "change")),
        "reports.view_kpis",
        "audit.view_audit",
        "reports.export_records",
        *_crud(_WEBHOOKS),
        "reports.view_auditfinding",
        "reports.add_auditfinding",
        "reports.change_auditfinding",
        *_crud(["reports.kpitarget"]),  # managers set the KPI targets
    ],
    PRACTITIONER: [
        *_view(_REFERENCE),
        "deployments.view_deployment",
        "deployments.add_deployment",
        "deployments.change_deployment",
        "deployments.view_deploymentevent",
        *_view(_DEPLOYMENT),
        *_view(_REVIEWS),
    ],
    SERVICE_OWNER: [
        *_view(_REFERENCE),
        "deployments.add_deployment",
        *_view(_REVIEWS),
        "reports.view_kpis",
        "reports.export_records",
    ],
    PRODUCT_OWNER: [
        *_view(_REFERENCE),
        "deployments.add_deployment",
        *_view(_REVIEWS),
        "reports.view_kpis",
        "reports.export_records",
    ],
    AUDITOR: [
        "accounts.view_user",
        *_view(_REFERENCE),
        *_view(_DEPLOYMENT),
        "deployments.view_deploymentevent",
        *_view(_REVIEWS),
        "reports.view_kpis",
        "audit.view_audit",
        "reports.export_records",
        *_view(_WEBHOOKS),
        "reports.view_auditfinding",
        "reports.add_auditfinding",  # auditors raise findings and change nothing else
        "reports.view_kpitarget",
    ],
    # No global permission: what a supplier contact sees and records is scoped by Supplier.contact_users (the
    # deployments selectors and permissions), as a service owner's is by their services.
    SUPPLIER_CONTACT: [],
}


def competency_of(role: str) -> str:
    """The competency profile (letters) of a role or party of the RACI role list; "" for a name outside it."""
    if role in PROFILES:
        return PROFILES[role][0]
    return PARTY_PROFILES.get(role, ("",))[0]
