"""Demo deployment models for `make run`: the practice guide's four example models and one automated pipeline.

Runs after the environments and catalog seeds; looks environments up by slug and skips stages whose environment is
missing (a model left without stages stays a draft). Idempotent: a model whose name exists is left alone.
"""

import datetime

from apps.deployment_models import services
from apps.deployment_models.models import DeploymentModel
from apps.environments.models import Environment

STANDARD_RACI = [
    # activity, {role: letter}
    ("Plan and schedule", {"Deployment manager": "A", "Deployment practitioner": "R", "Service owner": "C"}),
    ("Verify service components", {"Deployment manager": "A", "Deployment practitioner": "R"}),
    ("Verify target environment", {"Deployment manager": "A", "Deployment practitioner": "R"}),
    ("Execute deployment", {"Deployment manager": "A", "Deployment practitioner": "R", "Service desk": "I"}),
    ("Verify deployment", {"Service owner": "A", "Deployment practitioner": "R", "Product owner": "C"}),
    ("Approve production", {"Deployment manager": "A", "Service owner": "R", "Product owner": "I"}),
    ("Roll back", {"Deployment manager": "A", "Deployment practitioner": "R", "Service desk": "I"}),
]


def _stage(env, approvals=1, *, so=False, pre=False, entry="", exit_="", acceptance=""):
    return {
        "env": env,
        "approvals_required": 0 if pre else approvals,
        "requires_service_owner_approval": so,
        "pre_approved": pre,
        "entry_criteria": entry,
        "exit_criteria": exit_,
        "acceptance_criteria": acceptance,
    }


MODELS = [
    {
        "name": "Hardware for external consumers",
        "description": "Devices shipped to and installed at customer sites (payment terminals, branch routers).",
        "component_types": ["hardware"],
        "component_sources": ["vendor", "partner"],
        "automation_level": "manual",
        "triggers": ["requirement", "service_request", "retirement"],
        "dimension_organisations_people": "Field engineers of the installation partner; the service desk briefed "
        "before each wave; customers told the visit window a week ahead.",
        "dimension_information_technology": "Asset register (serial numbers, location), device configuration "
        "templates, remote monitoring enrolment.",
        "dimension_value_streams_processes": "Order → stage in lab → ship → install on site → verify with the "
        "customer → hand over to support.",
        "dimension_partners_suppliers": "Vendor for the devices, Swift Parcel Logistics for shipping, FieldFit "
        "Installations on site.",
        "selection_factors": {
            "automation": "Little: physical installation on the customer's premises.",
            "cost": "High per site (visit, shipping); waves batch the cost.",
            "expected_frequency": "Quarterly waves plus single replacements.",
            "requirement_change_rate": "Low.",
            "technology_change_rate": "Low: a device generation lasts 4–5 years.",
            "component_flaw_risk": "Medium: a faulty batch reaches many customers.",
            "source": "Vendor hardware, installed by a partner.",
            "user_adoption": "Customers need a short briefing; support scripts updated.",
            "consumer_visibility": "High: customers see the engineer and the new device.",
        },
        "rollback_procedure": "Keep the old device on site for 14 days; the engineer swaps it back and re-enrols "
        "it in monitoring; faulty units returned to the vendor under RMA.",
        "rollback_rehearsed_on": datetime.date(2025, 11, 12),
        "review_interval_months": 6,
        "stages": [
            _stage(
                "test", 1, entry="Batch received and registered.", acceptance="Burn-in 24 h passed\nFirmware current"
            ),
            _stage("staging", 1, entry="Lab test passed.", acceptance="Pilot site running 1 week without incident"),
            _stage("production", 2, so=True, entry="Pilot accepted; visits booked.", acceptance="Customer sign-off"),
        ],
        "extra_raci": [("Ship and install", {"Installation partner": "R", "Deployment manager": "A"})],
    },
    {
        "name": "Hardware from a vendor",
        "description": "Vendor hardware installed in our own data centres and offices (servers, storage, network).",
        "component_types": ["hardware"],
        "component_sources": ["vendor"],
        "automation_level": "partly_automated",
        "triggers": ["technical_change", "third_party", "retirement"],
        "dimension_organisations_people": "Data-centre team racks and cables; network team configures; vendor "
        "engineer on call during the window.",
        "dimension_information_technology": "CMDB records created on receipt; configuration applied from "
        "infrastructure-as-code; monitoring and back-up enrolment.",
        "dimension_value_streams_processes": "Receive → acceptance test → rack and configure → cut over in a "
        "maintenance window → verify.",
        "dimension_partners_suppliers": "Vendor support contract (4 h response); shipping arranged by the vendor.",
        "selection_factors": {
            "automation": "Configuration automated, physical work manual.",
            "cost": "Medium; cut-over needs a maintenance window.",
            "expected_frequency": "Monthly.",
            "technology_change_rate": "Medium.",
            "component_flaw_risk": "Medium: firmware defects found in acceptance tests before.",
            "source": "Vendor.",
            "consumer_visibility": "Low unless the cut-over fails.",
        },
        "rollback_procedure": "Cut back to the old hardware, which stays racked and powered until the exit "
        "criteria of production are met; revert the IaC change.",
        "rollback_rehearsed_on": datetime.date(2026, 1, 20),
        "stages": [
            _stage("test", 1, entry="Delivery matches the order.", acceptance="Vendor diagnostics passed"),
            _stage("production", 2, so=True, entry="Acceptance test passed.", acceptance="Monitoring green 24 h"),
        ],
        "extra_raci": [("Acceptance test", {"Vendor": "R", "Deployment manager": "A", "Deployment practitioner": "C"})],
    },
    {
        "name": "Software for external consumers",
        "description": "Apps and client software installed by customers: mobile apps, desktop clients.",
        "component_types": ["software", "documentation"],
        "component_sources": ["in_house", "partner"],
        "automation_level": "partly_automated",
        "triggers": ["release", "requirement", "troubleshooting"],
        "dimension_organisations_people": "Product owner decides the roll-out; support prepared with release "
        "notes; store review handled by the mobile team.",
        "dimension_information_technology": "Signed builds, app-store consoles, feature flags, crash reporting.",
        "dimension_value_streams_processes": "Build → internal test → staged roll-out to 5 % → 100 %.",
        "dimension_partners_suppliers": "App stores (review times), Blue Harbour Consulting for the desktop client.",
        "selection_factors": {
            "automation": "Builds and store uploads automated; roll-out percentage set by hand.",
            "expected_frequency": "Every two weeks.",
            "requirement_change_rate": "High.",
            "component_flaw_risk": "Medium; crash rate watched during the staged roll-out.",
            "user_adoption": "Customers update at their own pace; old versions supported 6 months.",
            "consumer_visibility": "High.",
        },
        "rollback_procedure": "Halt the staged roll-out; switch the feature flags off; publish the previous build "
        "as a new version if the defect is severe.",
        "rollback_rehearsed_on": datetime.date(2026, 2, 3),
        "stages": [
            _stage("test", pre=True, entry="Build signed and scanned.", acceptance="Regression suite passed"),
            _stage("staging", 1, entry="Tests passed.", acceptance="5 % roll-out crash-free rate ≥ 99.5 %"),
            _stage("production", 2, so=True, entry="Staged roll-out healthy.", acceptance="Release notes published"),
        ],
    },
    {
        "name": "Software developed in house",
        "description": "Services our teams build and run: web applications, APIs and batch jobs.",
        "component_types": ["software", "data"],
        "component_sources": ["in_house"],
        "automation_level": "partly_automated",
        "triggers": ["release", "requirement", "technical_change", "troubleshooting"],
        "dimension_organisations_people": "Product teams own their services; deployment manager approves "
        "production; service owner signs off customer-facing changes.",
        "dimension_information_technology": "Git, CI pipelines, artifact repository (the DML), container "
        "platform, monitoring and logging.",
        "dimension_value_streams_processes": "Merge → integrate → test → staging → production, promoted version by "
        "version.",
        "dimension_partners_suppliers": "Cloud provider for the platform; NearOps Deployment Team out of hours.",
        "selection_factors": {
            "automation": "Build, test and deploy scripted; approval for production by people.",
            "cost": "Low per deployment.",
            "expected_frequency": "Several a week per service.",
            "requirement_change_rate": "High.",
            "technology_change_rate": "Medium.",
            "component_flaw_risk": "Medium: caught by tests in integration and test.",
            "source": "In house.",
            "user_adoption": "Release notes and in-app hints for visible changes.",
            "consumer_visibility": "Varies: flagged per deployment.",
        },
        "rollback_procedure": "Redeploy the previous version from the artifact repository; run the down-migration "
        "if the data model changed; confirm with the smoke tests.",
        "rollback_rehearsed_on": datetime.date(2026, 3, 2),
        "stages": [
            _stage("integration", 1, entry="Merged to main; build green.", acceptance="Contract tests passed"),
            _stage("test", pre=True, entry="Integration passed.", acceptance="Regression suite passed"),
            _stage("staging", 1, entry="Test passed.", acceptance="Performance within budget\nSmoke test passed"),
            _stage("production", 2, so=True, entry="Staging passed.", acceptance="Smoke test passed\nMonitoring green"),
        ],
    },
    {
        "name": "Automated microservice pipeline",
        "description": "Small stateless services deployed by their CI/CD pipelines through the API, pre-approved.",
        "component_types": ["software"],
        "component_sources": ["in_house"],
        "automation_level": "fully_automated",
        "triggers": ["release", "technical_change"],
        "dimension_organisations_people": "Team on call owns its pipeline; the deployment manager reviews the "
        "model quarterly rather than each deployment.",
        "dimension_information_technology": "Pipelines register deployments with an API token; canary analysis "
        "decides promotion.",
        "dimension_value_streams_processes": "Commit → test → staging → production in under an hour.",
        "dimension_partners_suppliers": "None beyond the platform provider.",
        "selection_factors": {
            "automation": "Full: pipeline records every step through the API.",
            "expected_frequency": "Many a day.",
            "component_flaw_risk": "Low per change: small changes, automatic canary rollback.",
            "consumer_visibility": "Low.",
        },
        "rollback_procedure": "Automatic: the canary analysis rolls back to the previous image; the pipeline "
        "reports roll-back through the API.",
        "rollback_rehearsed_on": datetime.date(2026, 3, 16),
        "stages": [
            _stage("test", pre=True, acceptance="Unit and contract tests passed"),
            _stage("staging", pre=True, acceptance="Canary analysis passed"),
            _stage("production", pre=True, acceptance="Canary analysis passed\nError budget intact"),
        ],
        "raci": [
            ("Execute deployment", {"CI/CD pipeline": "R", "Deployment manager": "A"}),
            ("Verify deployment", {"CI/CD pipeline": "R", "Service owner": "A"}),
            ("Review the model", {"Deployment manager": "A", "Service owner": "C", "Deployment practitioner": "C"}),
        ],
    },
]


def seed(users) -> None:
    actor = users["manager"]
    environments = {env.slug: env for env in Environment.objects.all()}
    for spec in MODELS:
        spec = dict(spec)
        if DeploymentModel.objects.filter(name=spec["name"]).exists():
            continue
        stages = spec.pop("stages")
        raci = spec.pop("raci", STANDARD_RACI) + spec.pop("extra_raci", [])
        model = services.model_create(actor=actor, owner=actor, **spec)
        for stage in stages:
            stage = dict(stage)
            env = environments.get(stage.pop("env"))
            if env is not None:
                services.stage_add(model=model, actor=actor, environment=env, **stage)
        for activity, letters in raci:
            for role, letter in letters.items():
                services.responsibility_add(model=model, actor=actor, activity=activity, role=role, raci=letter)
        if model.stages.exists():
            services.model_activate(model=model, actor=actor)
