"""The competency profiles of the ITIL 4 practice guides: five letters, and the profiles the deployment management
guide's two processes call for, activity by activity (shown on /roles/ and in the admin)."""

from django.core.exceptions import ValidationError

LEADER, ADMINISTRATOR, COORDINATOR, METHODS_EXPERT, TECHNICAL_EXPERT = "L", "A", "C", "M", "T"
LETTERS = {
    LEADER: ("Leader", "Decision-making, delegation, oversight of other activities, incentives and motivation."),
    ADMINISTRATOR: ("Administrator", "Assignment and prioritisation of tasks, record-keeping, reporting."),
    COORDINATOR: ("Coordinator / communicator", "Coordination of parties, communication, stakeholder engagement."),
    METHODS_EXPERT: ("Methods and techniques expert", "Designing and improving methods, models and processes."),
    TECHNICAL_EXPERT: ("Technical expert", "Technical knowledge and skills in the area concerned."),
}
LETTER_CHOICES = [(letter, name) for letter, (name, _) in LETTERS.items()]

MODELS_PROCESS = "models"
DEPLOYMENT_PROCESS = "deployment"
PROCESSES = {
    MODELS_PROCESS: "Deployment models development and review",
    DEPLOYMENT_PROCESS: "Deployment",
}
PROCESS_CHOICES = list(PROCESSES.items())

# (process, activity, profile, what it involves): the two processes of the practice, activity by activity.
ACTIVITIES: list[tuple[str, str, str, str]] = [
    (
        MODELS_PROCESS,
        "Identify the need for a model or a change to it",
        "LC",
        "Spot new component types, sources "
        "or failures that call for a new or changed deployment model, and agree who works on it.",
    ),
    (
        MODELS_PROCESS,
        "Design the model",
        "MT",
        "Choose the approach on the selection factors, draw the flow through "
        "the environments, its criteria, automation and back-out procedure.",
    ),
    (
        MODELS_PROCESS,
        "Pilot and approve the model",
        "TA",
        "Run the overseen pilot deployments, evaluate them and record the decision to activate.",
    ),
    (
        MODELS_PROCESS,
        "Communicate the model",
        "CA",
        "Publish the active model and tell the teams and services that use it.",
    ),
    (
        MODELS_PROCESS,
        "Review the model",
        "MC",
        "Analyse the records of the model's deployments, draw the findings and decide: keep, update or retire.",
    ),
    (
        DEPLOYMENT_PROCESS,
        "Plan the deployment",
        "AC",
        "Agree the window, the model, the practitioners and the acceptance criteria; get the approvals.",
    ),
    (
        DEPLOYMENT_PROCESS,
        "Verify the service components",
        "TA",
        "Check the integrity of what is deployed against the authorised repository.",
    ),
    (
        DEPLOYMENT_PROCESS,
        "Verify the target environment",
        "TA",
        "Check the environment's standing checks and that it is ready to receive the components.",
    ),
    (
        DEPLOYMENT_PROCESS,
        "Execute the deployment",
        "T",
        "Move the components into the environment (or remove them), following the model.",
    ),
    (
        DEPLOYMENT_PROCESS,
        "Verify the deployment",
        "TC",
        "Run the acceptance checks, hand over to operations and the service desk, or roll back.",
    ),
]


def profile_validate(value: str) -> None:
    """A competency profile is one to five distinct letters out of L, A, C, M, T, most significant first."""
    letters = value or ""
    if not letters:
        raise ValidationError("Give at least one competency letter (L, A, C, M or T).")
    if unknown := sorted(set(letters) - set(LETTERS)):
        raise ValidationError(f"Unknown competency letter(s): {', '.join(unknown)}; use L, A, C, M or T.")
    if len(set(letters)) != len(letters):
        raise ValidationError("Name each competency letter once.")


def profile_names(value: str) -> list[str]:
    """The names of a profile's letters, in its order ("LC" → ["Leader", "Coordinator / communicator"])."""
    return [LETTERS[letter][0] for letter in value or "" if letter in LETTERS]
