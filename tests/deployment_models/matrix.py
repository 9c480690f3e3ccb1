"""Permission-matrix rows for the deployment-model pages and API: everyone with a role reads, managers write."""

from tests.matrix import api, page

# Pages: every role reads; a user without a role gets 403; only managers (and the superuser admin) write.
READ = {"norole": 403}
WRITE = {"default": 403, "manager": 200, "admin": 200}
POST = {"default": 403, "manager": 302, "admin": 302}

ROWS = [
    page("/models/", **READ, name="model list"),
    page("/models/?status=active&ordering=-name", **READ, name="model list filtered"),
    page(lambda w: f"/models/{w.model.pk}/", **READ, name="model detail"),
    page("/models/999999/", default=404, norole=403, name="model detail (missing)"),
    page("/models/new/", **WRITE, name="model create form"),
    page(lambda w: f"/models/{w.draft_model.pk}/edit/", **WRITE, name="model edit form"),
    page(lambda w: f"/models/{w.draft_model.pk}/stages/", **WRITE, name="model stages"),
    page(lambda w: f"/models/{w.draft_model.pk}/stages/{w.draft_stage.pk}/edit/", **WRITE, name="stage edit form"),
    page(
        lambda w: f"/models/{w.draft_model.pk}/stages/{w.draft_stage.pk}/remove/",
        method="post",
        **POST,
        name="stage remove",
    ),
    page(
        lambda w: f"/models/{w.draft_model.pk}/stages/{w.draft_stage.pk}/move/",
        method="post",
        data={"direction": "down"},
        **POST,
        name="stage move",
    ),
    page(lambda w: f"/models/{w.draft_model.pk}/responsibilities/", **WRITE, name="model responsibilities"),
    page(
        lambda w: f"/models/{w.draft_model.pk}/responsibilities/{w.draft_responsibility.pk}/remove/",
        method="post",
        **POST,
        name="responsibility remove",
    ),
    page(lambda w: f"/models/{w.model.pk}/new-version/", method="post", **POST, name="model new version"),
    page(lambda w: f"/models/{w.draft_model.pk}/pilot/", method="post", **POST, name="model pilot"),
    page(lambda w: f"/models/{w.draft_model.pk}/activate/", method="post", **POST, name="model activate"),
    page(lambda w: f"/models/{w.model.pk}/retire/", method="post", **POST, name="model retire"),
    page(
        lambda w: f"/models/{w.model.pk}/evaluate/",
        method="post",
        data={"outcome": "successful", "findings": "Fine", "decision": "activate"},
        **POST,
        name="model evaluate (refused: active, back with a message)",
    ),
]

# API: every role reads (a user without a role gets 403); managers and the admin write.
API_WRITE = {"default": 403, "manager": 200, "admin": 200}
ROWS += [
    api("/api/v1/deployment-models/", **READ, name="api model list"),
    api("/api/v1/deployment-models/?status=active&component_type=software", **READ, name="api model list filtered"),
    api(lambda w: f"/api/v1/deployment-models/{w.model.pk}/", **READ, name="api model detail"),
    api(
        "/api/v1/deployment-models/",
        method="post",
        data={"name": "Matrix model", "automation_level": "manual"},
        **{**API_WRITE, "manager": 201, "admin": 201},
        name="api model create",
    ),
    api(
        lambda w: f"/api/v1/deployment-models/{w.draft_model.pk}/",
        method="patch",
        data={"description": "Changed by the matrix"},
        **API_WRITE,
        name="api model update",
    ),
    api(
        lambda w: f"/api/v1/deployment-models/{w.model.pk}/",
        method="patch",
        data={"description": "Changed by the matrix"},
        **{**API_WRITE, "manager": 409, "admin": 409},
        name="api model update (active: 409)",
    ),
    api(lambda w: f"/api/v1/deployment-models/{w.draft_model.pk}/pilot/", method="post", **API_WRITE, name="api pilot"),
    api(
        lambda w: f"/api/v1/deployment-models/{w.draft_model.pk}/activate/",
        method="post",
        **{**API_WRITE, "manager": 409, "admin": 409},
        name="api activate (not piloted: 409)",
    ),
    api(
        lambda w: f"/api/v1/deployment-models/{w.draft_model.pk}/activate/",
        method="post",
        data={"override_reason": "Proven elsewhere"},
        **API_WRITE,
        name="api activate with an override",
    ),
    api(
        lambda w: f"/api/v1/deployment-models/{w.draft_model.pk}/evaluate/",
        method="post",
        data={"outcome": "successful", "findings": "Fine", "decision": "activate"},
        **{**API_WRITE, "manager": 409, "admin": 409},
        name="api evaluate (not in pilot: 409)",
    ),
    api(
        lambda w: f"/api/v1/deployment-models/{w.model.pk}/new-version/",
        method="post",
        **{**API_WRITE, "manager": 201, "admin": 201},
        name="api new version",
    ),
    api(lambda w: f"/api/v1/deployment-models/{w.model.pk}/retire/", method="post", **API_WRITE, name="api retire"),
    api("/api/v1/model-stages/", **READ, name="api stage list"),
    api(lambda w: f"/api/v1/model-stages/{w.stage_prod.pk}/", **READ, name="api stage detail"),
    api(
        "/api/v1/model-stages/",
        method="post",
        data=lambda w: {"model": w.draft_model.pk, "environment": w.env_prod.pk, "approvals_required": 2},
        **{**API_WRITE, "manager": 201, "admin": 201},
        name="api stage create",
    ),
    api(
        lambda w: f"/api/v1/model-stages/{w.draft_stage.pk}/",
        method="patch",
        data={"approvals_required": 3},
        **API_WRITE,
        name="api stage update",
    ),
    api(
        lambda w: f"/api/v1/model-stages/{w.draft_stage.pk}/",
        method="delete",
        **{**API_WRITE, "manager": 204, "admin": 204},
        name="api stage delete",
    ),
    api("/api/v1/responsibilities/", **READ, name="api responsibility list"),
    api(lambda w: f"/api/v1/responsibilities/{w.draft_responsibility.pk}/", **READ, name="api responsibility detail"),
    api(
        "/api/v1/responsibilities/",
        method="post",
        data=lambda w: {
            "model": w.draft_model.pk,
            "activity": "Verify",
            "role": "Deployment practitioner",
            "raci": "R",
        },
        **{**API_WRITE, "manager": 201, "admin": 201},
        name="api responsibility create",
    ),
    api(
        lambda w: f"/api/v1/responsibilities/{w.draft_responsibility.pk}/",
        method="delete",
        **{**API_WRITE, "manager": 204, "admin": 204},
        name="api responsibility delete",
    ),
]
