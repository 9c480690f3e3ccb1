"""The growth table between benchmark runs at different sizes (apps/bench/growth.py, `manage.py bench_growth`)."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from apps.bench import growth


def _run(n: int, **figures) -> dict:
    out = []
    for name, value in figures.items():
        if isinstance(value, dict):
            out.append({"name": name, "median_ms": 1000.0, "ratio": None, **value})
        else:
            ms, ratio = value
            out.append({"name": name, "median_ms": ms, "ratio": ratio})
    return {"deployments": n, "figures": out}


SMALL = _run(1_000_000, page=(10.0, 1.5), search=(20.0, 2.0), csv={"rows_per_s": 120_000.0, "peak_mb": 110.0})
LARGE = _run(10_000_000, page=(11.0, 1.8), search=(40.0, 2.6), csv={"rows_per_s": 100_500.0, "peak_mb": 125.4})


def test_growth_is_the_ratio_of_the_largest_run_over_the_next_smaller_whatever_order_they_come_in():
    by_name = {r["name"]: r for r in growth.rows([LARGE, SMALL])}
    assert by_name["page"]["growth"] == pytest.approx(1.2)
    assert by_name["search"]["growth"] == pytest.approx(1.3)
    assert by_name["csv"]["growth"] is None  # an export has no floor
    assert growth.over([LARGE, SMALL]) == ["search"]
    assert growth.over([LARGE, SMALL], limit=1.35) == []


def test_a_figure_only_one_run_has_is_listed_with_no_growth():
    small = _run(100_000, page=(9.0, 1.4), old=(5.0, 1.1))
    table = growth.rows([small, SMALL])
    assert [r["name"] for r in table] == ["page", "search", "csv", "old"]
    assert table[-1]["cells"][1] is None
    assert table[-1]["growth"] is None


def test_the_markdown_table_shows_ms_and_ratio_per_size_and_bolds_a_growth_past_the_limit():
    text = growth.markdown([SMALL, LARGE])
    lines = text.splitlines()
    assert lines[0] == "| figure | 1M: ms | ratio | 10M: ms | ratio | growth 1M → 10M (≤ 1.25) |"
    assert "| page | 10.0 | 1.50× | 11.0 | 1.80× | 1.20 |" in lines
    assert "| search | 20.0 | 2.00× | 40.0 | 2.60× | **1.30** |" in lines
    assert "| csv | 120,000 rows/s (110 MB) |  | 100,500 rows/s (125 MB) |  |  |" in lines


def test_the_command_reads_result_files_and_fails_with_check_when_a_ratio_grew(tmp_path):
    paths = []
    for run in (SMALL, LARGE):
        path = tmp_path / f"bench-{run['deployments']}.json"
        path.write_text(json.dumps(run))
        paths.append(str(path))
    out, err = StringIO(), StringIO()
    call_command("bench_growth", *paths, stdout=out, stderr=err)
    assert "| search | 20.0 | 2.00× | 40.0 | 2.60× | **1.30** |" in out.getvalue()
    assert "grew past 1.25× its ratio: search" in err.getvalue()
    with pytest.raises(CommandError, match="search"):
        call_command("bench_growth", *paths, "--check", stdout=StringIO(), stderr=StringIO())
    call_command("bench_growth", *paths, "--check", "--limit", "1.4", stdout=StringIO(), stderr=StringIO())


@pytest.mark.parametrize("content", ["not json", "[1, 2]", '{"figures": []}'])
def test_a_file_that_is_not_a_benchmark_result_is_a_clear_error(tmp_path, content):
    path = tmp_path / "x.json"
    path.write_text(content)
    with pytest.raises(CommandError, match="not a benchmark result"):
        call_command("bench_growth", str(path), stdout=StringIO())
    with pytest.raises(CommandError, match="not a benchmark result"):
        call_command("bench_growth", str(tmp_path / "missing.json"), stdout=StringIO())
