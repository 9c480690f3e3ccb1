"""The approval rules that use the stored risk score: a stage may ask for one approval more when the score is high
(`ModelStage.extra_approval_risk_threshold`), and a pre-approved stage stops pre-approving above
`settings.DEPLOYDESK_PREAPPROVAL_MAX_RISK`. Both read `Deployment.risk_score` as the services last computed it, so
the readiness panel, the approval and the pre-approval never disagree."""

from django.conf import settings


def extra_approval_threshold(deployment) -> int | None:
    """The stage's threshold, or None when its score never adds an approval."""
    stage = deployment.stage
    return stage.extra_approval_risk_threshold if stage is not None else None


def risk_extra_approvals(deployment) -> int:
    """1 when the deployment's score reaches its stage's threshold, else 0."""
    threshold = extra_approval_threshold(deployment)
    return int(threshold is not None and deployment.risk_score >= threshold)


def risk_extra_approval_reason(deployment) -> str:
    """Why one more approval is needed ("" when it is not)."""
    if not risk_extra_approvals(deployment):
        return ""
    stage = deployment.stage
    return (
        f"Its risk score of {deployment.risk_score} reaches {stage.extra_approval_risk_threshold}, the threshold of "
        f"stage {stage.order} of {stage.model}: one approval more than the stage's own is needed."
    )


def preapproval_max_risk() -> int | None:
    value = getattr(settings, "DEPLOYDESK_PREAPPROVAL_MAX_RISK", None)
    return None if value is None else int(value)


def risk_refuses_preapproval(deployment) -> str:
    """Why a pre-approved stage's deployment is sent for approval instead ("" when the score allows pre-approval)."""
    limit = preapproval_max_risk()
    if limit is None or deployment.risk_score <= limit:
        return ""
    return (
        f"Not pre-approved: its risk score of {deployment.risk_score} is above {limit}, the most a pre-approved "
        "deployment may carry (DEPLOYDESK_PREAPPROVAL_MAX_RISK); a deployment manager approves it."
    )
