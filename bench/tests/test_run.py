"""A tiny run of the whole benchmark: it builds, seeds, serves, measures and writes its report."""

import json

from bench import run


def test_the_benchmark_runs_end_to_end_and_writes_json_markdown_and_a_plot(tmp_path):
    assert run.main(["--sizes", "150", "--rounds", "1", "--duration", "0.3", "--out", str(tmp_path)]) == 0
    results = json.loads((tmp_path / "results.json").read_text())
    (row,) = results["rows"]
    assert (row["backend"], row["tickets"]) == ("sqlite", 150)
    for figure in ("dashboard_html", "dashboard_json_filtered", "api_list", "api_create", "webhook"):
        assert row[figure]["requests"] > 0 and row[figure]["errors"] == 0, (figure, row[figure])
        assert row[figure]["share_of_ceiling"] > 0
    assert row["seed"]["peak_mb"] > 0 and row["run_regression"]["median_s"] > 0
    assert {"cores", "python", "sqlite"} <= set(results["machine"])
    report = (tmp_path / "results.md").read_text()
    assert "| dashboard JSON |" in report and "Targets at 150 tickets" in report
    assert (tmp_path / "latency.png").read_bytes().startswith(b"\x89PNG")
