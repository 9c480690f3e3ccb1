"""The success factors, directions and red/amber/green status of the KPIs (apps/reports/selectors/kpi_goals.py)."""

import pytest

from apps.reports.models import KpiTarget
from apps.reports.selectors.kpi_goals import (
    AMBER,
    APPROACHES,
    DELIVERY,
    GOALS,
    GREEN,
    HIGHER,
    LOWER,
    NONE,
    RED,
    amber_band,
    by_success_factor,
    goal_of,
    rag_status,
    score,
)
from apps.reports.selectors.kpi_metrics import METRICS


@pytest.mark.parametrize(
    ("value", "target", "better", "band", "status"),
    [
        # higher is better: at or above the target is green, within the band below it amber, beyond red
        (96.0, 95.0, HIGHER, 5.0, GREEN),
        (95.0, 95.0, HIGHER, 5.0, GREEN),
        (94.9, 95.0, HIGHER, 5.0, AMBER),
        (90.0, 95.0, HIGHER, 5.0, AMBER),
        (89.9, 95.0, HIGHER, 5.0, RED),
        (0, 95.0, HIGHER, 5.0, RED),
        # lower is better: at or below the target is green, within the band above it amber, beyond red
        (20.0, 24.0, LOWER, 2.4, GREEN),
        (24.0, 24.0, LOWER, 2.4, GREEN),
        (26.4, 24.0, LOWER, 2.4, AMBER),
        (26.5, 24.0, LOWER, 2.4, RED),
        # a zero band: anything on the wrong side is red
        (1, 0, LOWER, 0.0, RED),
        (0, 0, LOWER, 0.0, GREEN),
        # no value or no target: none
        (None, 95.0, HIGHER, 5.0, NONE),
        (50.0, None, HIGHER, 5.0, NONE),
        (None, None, LOWER, 0.0, NONE),
    ],
)
def test_status_against_the_target_for_each_direction_and_band(value, target, better, band, status):
    assert rag_status(value=value, target=target, better=better, band=band) == status


def test_float_noise_at_the_band_edge_does_not_flip_the_colour():
    # 0.1 + 0.2 is 0.30000000000000004: still within a band of 0.3 below a target of 0.6
    assert rag_status(value=0.6 - (0.1 + 0.2), target=0.6, better=HIGHER, band=0.3) == AMBER


@pytest.mark.parametrize(
    ("metric", "target", "band", "expected"),
    [
        ("success_rate", 95, None, 5),  # the metric's own default band, in points
        ("satisfaction_quality", 4, None, 0.5),
        ("lead_time_median_hours", 24, None, 2.4),  # no default: 10% of the target
        ("lead_time_median_hours", 24, 6, 6),  # the manager's band wins
        ("failures", 0, None, 0),
    ],
)
def test_the_band_in_force(metric, target, band, expected):
    assert amber_band(target=target, band=band, metric=metric) == pytest.approx(expected)


def test_every_metric_has_a_success_factor_and_a_direction():
    # a metric added to the table without its line in GOALS fails here, so its direction is a decision
    assert set(METRICS) <= set(GOALS)
    assert {goal.factor for goal in GOALS.values()} == {APPROACHES, DELIVERY}


@pytest.mark.parametrize(
    ("metric", "factor", "better"),
    [
        ("satisfaction_rate_of_change", APPROACHES, HIGHER),
        ("audit_findings", APPROACHES, LOWER),
        ("model_adoption_rate", APPROACHES, HIGHER),
        ("compliance_exceptions", APPROACHES, LOWER),
        ("success_rate", DELIVERY, HIGHER),
        ("change_failure_rate", DELIVERY, LOWER),
        ("time_to_restore_median_hours", DELIVERY, LOWER),
    ],
)
def test_the_guide_metrics_sit_under_their_success_factor(metric, factor, better):
    assert (goal_of(metric).factor, goal_of(metric).better) == (factor, better)


def test_grouping_keeps_the_order_and_covers_every_metric():
    groups = by_success_factor(METRICS)
    assert [factor.key for factor, _ in groups] == [APPROACHES, DELIVERY]
    assert sorted(key for _, keys in groups for key in keys) == sorted(METRICS)
    approaches = {f.key: keys for f, keys in groups}[APPROACHES]
    assert approaches == [k for k in METRICS if GOALS[k].factor == APPROACHES]


def test_score_without_a_target_is_none_and_with_one_is_coloured():
    assert score(key="success_rate", value=62.5, targets={}).status == NONE
    row = KpiTarget(metric="success_rate", target=95, amber_band=None)
    scored = score(key="success_rate", value=62.5, targets={"success_rate": row})
    assert scored.as_dict() == {
        "value": 62.5,
        "target": 95,
        "amber_band": 5,
        "status": RED,
        "success_factor": DELIVERY,
        "better": HIGHER,
    }
