"""Group sync: the role groups, their profiles and exactly their permissions, after every migrate."""

from django.apps import apps as global_apps

from apps.roles.definitions import PROFILES, ROLE_PERMISSIONS, ROLES


def roles_sync(*, apps=global_apps) -> None:
    """Create the role groups if missing and give each exactly the permissions of ROLE_PERMISSIONS."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    RoleProfile = apps.get_model("roles", "RoleProfile")
    for name in ROLES:
        group, _ = Group.objects.get_or_create(name=name)
        profile, description, competencies = PROFILES[name]
        RoleProfile.objects.update_or_create(
            group=group,
            defaults={"competency_profile": profile, "description": description, "competencies": competencies},
        )
        wanted = []
        for dotted in ROLE_PERMISSIONS[name]:
            app_label, codename = dotted.split(".", 1)
            perm = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if perm is not None:
                wanted.append(perm)
        group.permissions.set(wanted)


def roles_sync_after_migrate(sender, **kwargs) -> None:
    """post_migrate fires once per app with models; the last such app's signal comes after every permission exists
    (an app without models, such as the development tooling installed last, gets no signal)."""
    with_models = [config for config in global_apps.get_app_configs() if config.models_module is not None]
    if sender.label == with_models[-1].label:
        roles_sync()
