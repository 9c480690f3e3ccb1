"""The stored results of the risk back-test, so the KPI page shows the last one without computing it."""

from django.db import models


class RiskBacktest(models.Model):
    """One run of `risk_backtest`: the finished deployments it scored as of their planned start, how many failed,
    and the area under the ROC curve (AUC) of the score separating failed from successful ones."""

    ran_at = models.DateTimeField(db_index=True)
    scored = models.PositiveIntegerField(help_text="Finished deployments scored.")
    failed = models.PositiveIntegerField(help_text="Of them, failed or rolled back.")
    succeeded = models.PositiveIntegerField(help_text="Of them, completed.")
    auc = models.FloatField(null=True, blank=True, help_text="Empty when there were no failures or no successes.")
    mean_score_failed = models.FloatField(null=True, blank=True)
    mean_score_succeeded = models.FloatField(null=True, blank=True)
    period_start = models.DateTimeField(null=True, blank=True)
    period_end = models.DateTimeField(null=True, blank=True)
    seconds = models.FloatField(default=0)
    detail = models.JSONField(default=dict, blank=True, help_text="Per-factor means and what the run left out.")

    class Meta:
        app_label = "deployments"
        ordering = ["-ran_at", "-id"]

    def __str__(self) -> str:
        auc = "n/a" if self.auc is None else f"{self.auc:.3f}"
        return f"Risk back-test {self.ran_at:%Y-%m-%d %H:%M}: AUC {auc} over {self.scored} deployments"
