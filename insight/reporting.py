"""The words the insight commands print: figures as percentages, with `baseline` and `coverage` named."""

from insight.backtest import AnomalyBacktest
from insight.synthetic import DROP_FACTORS, SPIKE_FACTORS


def anomaly_lines(result: AnomalyBacktest) -> list[str]:
    """The anomaly backtest, one figure per line."""
    spikes = " / ".join(f"x{factor:g}: {result.recall([factor]):.1%}" for factor in SPIKE_FACTORS)
    drops = " / ".join(f"x{factor:g}: {result.recall([factor]):.1%}" for factor in DROP_FACTORS)
    return [
        f"  threshold {result.threshold:g} (shipped), {result.series} series, "
        f"{result.ordinary_days:,} ordinary days and {sum(result.injected.values()):,} anomalous days judged",
        f"  false alarms: {result.false_alarms_per_100_days:.2f} per 100 ordinary days "
        f"({result.false_alarms / max(result.ordinary_days, 1):.2%} of ordinary days; target: at most 1)",
        f"  recall on spikes: {result.recall(SPIKE_FACTORS):.1%} ({spikes})",
        f"  recall on drops: {result.recall(DROP_FACTORS):.1%} ({drops})",
    ]


def comparison_lines(comparison: dict | None) -> list[str]:
    """The model against the baseline on the hold-out (a `Comparison.as_dict()`)."""
    if comparison is None or comparison["baseline"] is None:
        return ["  too little history: no priority has enough closed tickets"]
    baseline, model = comparison["baseline"], comparison["model"]
    lines = [f"  {comparison['examples']:,} closed tickets; hold-out: the newest {comparison['holdout']:,}"]
    if model is None:
        lines.append("  model: not tried (too few tickets); the baseline is served")
    for quantile in ("p50", "p90"):
        key = f"pinball_{quantile}_hours"
        if model is None:
            lines.append(f"  {quantile} pinball loss: baseline {baseline[key]:.2f} h")
            continue
        gain = 1 - model[key] / baseline[key] if baseline[key] else 0.0
        lines.append(
            f"  {quantile} pinball loss: model {model[key]:.2f} h, baseline {baseline[key]:.2f} h "
            f"(model {abs(gain):.1%} {'lower' if gain >= 0 else 'higher'} than the baseline)"
        )
    served = "model" if comparison["model_wins"] else "baseline"
    covered = model if served == "model" else baseline
    lines.append(
        f"  p90 coverage on the hold-out: {covered['coverage_p90']:.1%} ({served}; target 85-95%)"
        + (f", baseline {baseline['coverage_p90']:.1%}" if served == "model" else "")
    )
    lines.append(
        f"  served: the {served}"
        + (
            " (it beats the baseline at both quantiles and its p90 coverage is within 85-95%)"
            if served == "model"
            else " (the model did not beat the baseline at both quantiles with a p90 coverage of 85-95%)"
        )
    )
    return lines
