"""Demo deployment models for `make run`: the model templates of fixtures/ (the practice guide's four example models
and one automated pipeline), owned by the demo manager and activated. They are the practice guide's own example
models, adopted rather than piloted, so each is activated with a deployment manager's override (recorded on the
model, a compliance exception in the KPIs).

The templates are loaded first (fixtures/deployment_models.json, as drafts); a template left as a draft is given its
owner and activated here, one already active is left alone, so running it again changes nothing.
"""

import json

from django.conf import settings

from apps.deployment_models import services
from apps.deployment_models.models import DeploymentModel, ModelStatus

FIXTURE = settings.BASE_DIR / "fixtures" / "deployment_models.json"
ADOPTED = "Adopted from the practice guide's example models, proven in use before Deploydesk: no pilot here."


def template_names() -> list[str]:
    with FIXTURE.open(encoding="utf-8") as f:
        return [o["fields"]["name"] for o in json.load(f) if o["model"] == "deployment_models.deploymentmodel"]


def seed(users) -> None:
    actor = users["manager"]
    drafts = DeploymentModel.objects.filter(name__in=template_names(), version=1, status=ModelStatus.DRAFT)
    for model in drafts.order_by("pk"):
        if not model.stages.exists():
            continue
        model = services.model_update(model=model, actor=actor, owner=actor)
        services.model_activate(model=model, actor=actor, override_reason=ADOPTED)
