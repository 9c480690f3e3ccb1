"""Group sync: the role groups, their profiles and exactly their permissions, and the activities' competency
profiles, after every migrate."""

from django.apps import apps as global_apps

from apps.roles.competencies import ACTIVITIES
from apps.roles.definitions import PROFILES, ROLE_PERMISSIONS, ROLES


def roles_sync(*, apps=global_apps) -> None:
    """Create the role groups if missing and give each exactly the permissions of ROLE_PERMISSIONS; bring the role
    and activity competency profiles in step with the definitions."""
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
    activities_sync(apps=apps)


def activities_sync(*, apps=global_apps) -> None:
    """The activities of both processes with their competency profiles, as apps/roles/competencies.py lists them."""
    try:
        ActivityProfile = apps.get_model("roles", "ActivityProfile")
    except LookupError:  # a historical state before the model existed (roles.0002 runs this sync too)
        return
    kept = []
    for order, (process, activity, profile, description) in enumerate(ACTIVITIES, start=1):
        row, _ = ActivityProfile.objects.update_or_create(
            process=process,
            activity=activity,
            defaults={"order": order, "competency_profile": profile, "description": description},
        )
        kept.append(row.pk)
    ActivityProfile.objects.exclude(pk__in=kept).delete()


def roles_sync_after_migrate(sender, **kwargs) -> None:
    """post_migrate fires once per app with models; the last such app's signal comes after every permission exists
    (an app without models, such as the development tooling installed last, gets no signal)."""
    with_models = [config for config in global_apps.get_app_configs() if config.models_module is not None]
    if sender.label == with_models[-1].label:
        roles_sync()
