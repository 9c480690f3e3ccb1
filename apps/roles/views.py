"""The roles and competencies page: each role's and party's competency profile, and the profiles the activities of
the practice's two processes call for."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView

from apps.roles import selectors
from apps.roles.competencies import LETTERS, PROCESSES, profile_names
from apps.roles.definitions import PARTY_PROFILES, ROLES


class RoleCompetenciesView(LoginRequiredMixin, TemplateView):
    template_name = "roles/competencies.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        activities = selectors.activity_profile_list()
        ctx.update(
            letters=[(letter, name, what) for letter, (name, what) in LETTERS.items()],
            roles=selectors.role_profile_all(),
            parties=[
                (name, letters, profile_names(letters), what)
                for name, (letters, what) in PARTY_PROFILES.items()
                if name not in ROLES
            ],
            processes=[(label, [a for a in activities if a.process == key]) for key, label in PROCESSES.items()],
        )
        return ctx
