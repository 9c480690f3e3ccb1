"""The reports' part of the shared test world.

- `w.finding`: an open audit finding on w.deployment, raised by the auditor and owned by the practitioner (so the
  owner may accept and remediate it).
- `w.other_finding`: an open finding on w.model owned by the service owner.
"""

from tests.factories.reports import raise_finding


def extend(w) -> None:
    w.finding = raise_finding(actor=w.users["auditor"], subject=w.deployment, owner=w.users["practitioner"])
    w.other_finding = raise_finding(
        actor=w.users["manager"], subject=w.model, owner=w.users["service_owner"], severity="high"
    )
