"""Permission-matrix rows for the deployment-model pages and API: everyone with a role reads, managers write."""

from tests.matrix import page

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
]
