"""Every write on environments, their standing checks, clearances and freeze and maintenance windows."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils import timezone
from django.utils.text import slugify
from guardian.shortcuts import assign_perm, remove_perm

from apps.audit.chain import audit_append, audit_batch
from apps.audit.context import SYSTEM as SYSTEM_CHANNEL
from apps.audit.context import audited
from apps.core.exceptions import ConflictError
from apps.core.mail_outbox import mail_queue
from apps.core.permissions import require
from apps.core.services import model_update
from apps.environments.models import Clearance, Environment, EnvironmentCheck, FreezeWindow, MaintenanceWindow

DEPLOY_PERM = "environments.deploy_to_environment"

ENVIRONMENT_FIELDS = {
    "name",
    "slug",
    "kind",
    "purpose",
    "order",
    "controlled",
    "allows_parallel_deployments",
    "requires_maintenance_window",
    "owner",
    "is_active",
}
WINDOW_FIELDS = {
    "environment",
    "name",
    "recurrence",
    "start",
    "end",
    "time_zone",
    "weekly_start_day",
    "weekly_end_day",
    "start_time",
    "end_time",
    "month_end_days",
    "holidays",
}
FREEZE_FIELDS = WINDOW_FIELDS | {"reason"}
CHECK_FIELDS = {"description", "order", "is_active"}
RESERVED_SLUGS = {"new"}


def _clash() -> ValidationError:
    return ValidationError("The record clashes with an existing one (a name or slug already in use).")


def _save(instance, actor, fields: dict, allowed: set[str], check=None):
    """Set the fields, check, full_clean() and save; a uniqueness race is the same ValidationError as the check."""
    return model_update(instance=instance, fields=fields, allowed=allowed, actor=actor, check=check, clash=_clash)


# --- environments ---------------------------------------------------------------------------------------------


def _check_environment_unique(environment: Environment) -> None:
    others = Environment.objects.exclude(pk=environment.pk)
    errors = {}
    if environment.slug in RESERVED_SLUGS:
        errors["slug"] = f"“{environment.slug}” is reserved for a page address; choose another slug."
    elif environment.slug and others.filter(slug=environment.slug).exists():
        errors["slug"] = f"An environment with the slug “{environment.slug}” already exists; choose another."
    if environment.name and others.filter(name__iexact=environment.name).exists():
        errors["name"] = f"An environment named “{environment.name}” already exists."
    if errors:
        raise ValidationError(errors)


@audited
@transaction.atomic
def environment_create(*, actor, name: str, slug: str = "", kind: str, **fields) -> Environment:
    """Create an environment; the slug defaults to the slugified name and must be unique."""
    require(actor, "environments.add_environment")
    environment = Environment(name=(name or "").strip(), slug=(slug or "").strip() or slugify(name or ""), kind=kind)
    return _save(environment, actor, fields, ENVIRONMENT_FIELDS, _check_environment_unique)


@audited
@transaction.atomic
def environment_update(*, environment: Environment, actor, **fields) -> Environment:
    """Change an environment's fields (any of name, slug, kind, purpose, order, controlled, owner, ...)."""
    require(actor, "environments.change_environment")
    environment = Environment.objects.select_for_update().get(pk=environment.pk)

    def check(environment: Environment) -> None:
        if "slug" in fields and not (environment.slug or "").strip():
            environment.slug = slugify(environment.name or "")
        _check_environment_unique(environment)

    return _save(environment, actor, fields, ENVIRONMENT_FIELDS, check)


@audited
@transaction.atomic
def environment_delete(*, environment: Environment, actor) -> None:
    """Delete an environment nothing refers to; one with deployments or model stages is refused (deactivate it)."""
    require(actor, "environments.delete_environment")
    environment._history_user = actor
    try:
        with transaction.atomic():
            environment.delete()
    except (ProtectedError, RestrictedError) as exc:
        raise ConflictError(
            f"“{environment.name}” is used by deployments or deployment models; mark it inactive instead.",
            code="environment_in_use",
        ) from exc


# --- standing checks ------------------------------------------------------------------------------------------


def _check_description_unique(check: EnvironmentCheck) -> None:
    description = (check.description or "").strip()
    check.description = description
    if (
        EnvironmentCheck.objects.filter(environment_id=check.environment_id, description__iexact=description)
        .exclude(pk=check.pk)
        .exists()
    ):
        raise ValidationError({"description": f"“{description}” is already a standing check of this environment."})


@audited
@transaction.atomic
def environment_check_add(
    *, environment: Environment, description: str, actor, order: int | None = None
) -> EnvironmentCheck:
    """Add a standing check that every deployment into the environment must record; appended at the end."""
    require(actor, "environments.add_environmentcheck")
    if order is None:
        last = environment.standing_checks.order_by("-order").values_list("order", flat=True).first()
        order = 0 if last is None else last + 1
    check = EnvironmentCheck(environment=environment)
    return _save(check, actor, {"description": description, "order": order}, CHECK_FIELDS, _check_description_unique)


@audited
@transaction.atomic
def environment_check_update(*, check: EnvironmentCheck, actor, **fields) -> EnvironmentCheck:
    """Change a standing check's description, order or whether it is still in force (is_active)."""
    require(actor, "environments.change_environmentcheck")
    check = EnvironmentCheck.objects.select_for_update().get(pk=check.pk)
    return _save(check, actor, fields, CHECK_FIELDS, _check_description_unique)


@audited
@transaction.atomic
def environment_check_remove(*, check: EnvironmentCheck, actor) -> None:
    """Remove a standing check (its history stays; deployments keep the checks they recorded)."""
    require(actor, "environments.delete_environmentcheck")
    check._history_user = actor
    check.delete()


# --- clearances -----------------------------------------------------------------------------------------------


# Clearing practitioners is a rule of its own on the environment's change permission, with its own refusal.
CLEARANCE_PERM = "environments.change_environment"
CLEARANCE_REFUSAL = "Only deployment managers can clear practitioners for environments."


def _require_clearance_manager(actor) -> None:
    require(actor, CLEARANCE_PERM, message=CLEARANCE_REFUSAL)


@audited
@transaction.atomic
def environment_clear_practitioner(
    *, environment: Environment, user, actor, reason: str = "", expires_at=None
) -> Clearance:
    """Clear `user` to carry out deployments in `environment`, saying why and until when (empty = until withdrawn):
    a Clearance row and the guardian object permission deploy_to_environment. Clearing again updates the row."""
    _require_clearance_manager(actor)
    if user is None or not user.is_active:
        raise ValidationError({"user": "Only an active user can be cleared for an environment."})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "A clearance must expire in the future (or leave it empty)."})
    clearance = Clearance.objects.filter(environment=environment, user=user).select_for_update().first()
    clearance = clearance or Clearance(environment=environment, user=user)
    fields = {
        "granted_by": actor,
        "granted_at": timezone.now(),
        "reason": (reason or "").strip(),
        "expires_at": expires_at,
    }
    _save(clearance, actor, fields, set(fields))
    assign_perm(DEPLOY_PERM, user, environment)
    return clearance


@audited
@transaction.atomic
def environment_unclear_practitioner(*, environment: Environment, user, actor) -> None:
    """Withdraw `user`'s clearance for `environment` (a global role permission, if any, is not touched)."""
    _require_clearance_manager(actor)
    for clearance in Clearance.objects.filter(environment=environment, user=user):
        clearance._history_user = actor
        clearance.delete()
    remove_perm(DEPLOY_PERM, user, environment)


# --- freeze and maintenance windows ---------------------------------------------------------------------------


def _window_save(model, window, actor, fields: dict, allowed: set[str]):
    """Create (`window` None) or change a freeze or maintenance window, validated whole (deployment managers)."""
    require(actor, f"environments.{'add' if window is None else 'change'}_{model._meta.model_name}")
    window = model() if window is None else model.objects.select_for_update().get(pk=window.pk)
    if "holidays" in fields and fields["holidays"] is None:
        fields = {**fields, "holidays": []}
    return _save(window, actor, fields, allowed)


def _window_delete(window, actor) -> None:
    """Delete a freeze or maintenance window (deployment managers); its history stays."""
    require(actor, f"environments.delete_{window._meta.model_name}")
    window._history_user = actor
    window.delete()


@audited
@transaction.atomic
def freeze_window_create(*, actor, **fields) -> FreezeWindow:
    """Create a freeze window (environment None = every environment), one-off or recurring."""
    return _window_save(FreezeWindow, None, actor, fields, FREEZE_FIELDS)


@audited
@transaction.atomic
def freeze_window_update(*, window: FreezeWindow, actor, **fields) -> FreezeWindow:
    """Change a freeze window; the whole window is validated again."""
    return _window_save(FreezeWindow, window, actor, fields, FREEZE_FIELDS)


@audited
@transaction.atomic
def freeze_window_delete(*, window: FreezeWindow, actor) -> None:
    """Delete a freeze window (its history stays)."""
    _window_delete(window, actor)


@audited
@transaction.atomic
def maintenance_window_create(*, actor, **fields) -> MaintenanceWindow:
    """Create a maintenance window of one environment, one-off or recurring."""
    return _window_save(MaintenanceWindow, None, actor, fields, WINDOW_FIELDS)


@audited
@transaction.atomic
def maintenance_window_update(*, window: MaintenanceWindow, actor, **fields) -> MaintenanceWindow:
    """Change a maintenance window; the whole window is validated again."""
    return _window_save(MaintenanceWindow, window, actor, fields, WINDOW_FIELDS)


@audited
@transaction.atomic
def maintenance_window_delete(*, window: MaintenanceWindow, actor) -> None:
    """Delete a maintenance window (its history stays)."""
    _window_delete(window, actor)


# --- reminders of expiring clearances ---------------------------------------------------------------------------

REMIND_DAYS = 14


def _clearance_reminder(clearance: Clearance) -> list[str]:
    recipients = sorted(
        {u.email for u in (clearance.user, clearance.granted_by) if u is not None and u.email and u.is_active}
    )
    if recipients:
        mail_queue(
            subject=f"Clearance for {clearance.environment} expires {clearance.expires_at:%Y-%m-%d %H:%M} UTC",
            body=f"{clearance.user.get_full_name() or clearance.user.username}'s clearance to carry out deployments "
            f"in {clearance.environment} expires on {clearance.expires_at:%Y-%m-%d %H:%M} UTC"
            f"{' (granted by ' + str(clearance.granted_by) + ')' if clearance.granted_by else ''}.\n"
            "After that, starting or carrying on a deployment there is refused until a deployment manager renews it.\n",
            to=recipients,
            key=f"clearance-{clearance.pk}-{clearance.expires_at:%Y%m%d%H%M}",
        )
    return recipients


def clearance_reminders_send(*, within_days: int = REMIND_DAYS) -> int:
    """Remind the holder and the granting manager of each clearance expiring within `within_days`, once per expiry
    (a renewed clearance with a new expiry is reminded again): the reminder is claimed, its message queued in the
    mail outbox and its audit entry written in one transaction, so a second worker or a second run sends nothing,
    and a mail server that is down only delays the message (the outbox retries it)."""
    now = timezone.now()
    due = Clearance.objects.filter(expires_at__gt=now, expires_at__lte=now + timedelta(days=within_days))
    sent = 0
    for clearance in due.select_related("user", "granted_by", "environment").order_by("expires_at", "id"):
        with transaction.atomic(), audit_batch():
            claimed = (
                Clearance.objects.filter(pk=clearance.pk, expires_at=clearance.expires_at)
                .exclude(reminded_for=clearance.expires_at)
                .update(reminded_for=clearance.expires_at)
            )
            if not claimed:
                continue
            recipients = _clearance_reminder(clearance)
            if recipients:
                audit_append(
                    actor=None,
                    channel=SYSTEM_CHANNEL,
                    action="reminded",
                    object_type="environments.clearance",
                    object_id=clearance.pk,
                    object_repr=str(clearance),
                    changes={"expires_at": clearance.expires_at.isoformat(), "recipients": recipients},
                )
                sent += 1
    return sent
