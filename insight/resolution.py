"""Resolution-time prediction: the per-priority baseline, a log-linear model, and how they are compared.

Pure functions over `Example`s (closed tickets: what was known when each was
created, and the hours it took to close); no database. Both predictors give
a p50 and a p90 in wall-clock hours from creation to closing.

- **Baseline**: the 50th and 90th percentiles of the hours per priority.
- **Log-linear**: a ridge regression of log(hours) on the ticket's priority,
  assignee, source, weekday and three-hour slot of creation, and the words
  of its title; p50 and p90 are the prediction plus quantiles of the
  residuals measured on a later calibration split (for the p90, the split
  conformal quantile), so the p90 covers about 90% of new tickets.

`compare` fits both on the older part of a time-ordered history and scores
them on the newest part (pinball loss at 0.5 and 0.9, p90 coverage). The
model is shipped only if it beats the baseline at both quantiles and its
p90 covers 85-95% of the hold-out; otherwise the baseline is.
"""

import datetime
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

QUANTILES = (0.5, 0.9)
# Hours are modelled as log(hours + HOURS_OFFSET): a ticket closed on creation still has a log.
HOURS_OFFSET = 0.1
# Too few examples of a priority: no baseline for it (its tickets get no prediction).
MIN_PER_PRIORITY = 20
# The model is tried only with at least this many examples.
MIN_FOR_MODEL = 500
# A feature (a word, an assignee) is kept only when this many training examples have it.
MIN_FEATURE_COUNT = 20
MAX_WORDS = 400
MAX_ASSIGNEES = 100
RIDGE = 2.0
# Time-ordered splits: fitting, calibrating, and (when comparing) the hold-out.
COMPARE_SPLITS = (0.7, 0.8)
SERVE_SPLIT = 0.85
COVERAGE_RANGE = (0.85, 0.95)
WORD = re.compile(r"[a-z][a-z0-9]{2,}")


@dataclass(frozen=True)
class Example:
    """A ticket as it was when created (`created_at` in TIME_ZONE), and the hours it took to close."""

    created_at: datetime.datetime
    priority: str
    assigned_to: str
    source: str
    title: str
    hours: float


def feature_names(created_at: datetime.datetime, priority: str, assigned_to: str, source: str, title: str):
    """The names of a ticket's features; `created_at` must be local (TIME_ZONE) time."""
    names = [
        f"priority={priority}",
        f"source={source}",
        f"weekday={created_at.weekday()}",
        f"slot={created_at.hour // 3}",
        f"assignee={assigned_to}",
    ]
    names.extend(f"word={word}" for word in sorted(set(WORD.findall(title.lower()))))
    return names


def example_features(example: Example) -> list[str]:
    return feature_names(
        example.created_at, example.priority, example.assigned_to, example.source, example.title
    )


def quantile(values, q: float) -> float:
    """The q-quantile (linear interpolation), as numpy computes it."""
    return float(np.quantile(np.asarray(values, dtype=float), q))


def conformal_quantile(residuals: np.ndarray, q: float) -> float:
    """The split-conformal q-quantile: the ⌈(n+1)q⌉-th smallest residual, so coverage is at least q."""
    ordered = np.sort(residuals)
    rank = min(len(ordered), math.ceil((len(ordered) + 1) * q))
    return float(ordered[rank - 1])


class Baseline:
    """p50 and p90 of the hours per priority."""

    kind = "baseline"

    def __init__(self, quantiles: dict[str, list[float]]):
        self.quantiles = quantiles

    @classmethod
    def fit(cls, examples: Sequence[Example]) -> "Baseline":
        hours: dict[str, list[float]] = {}
        for example in examples:
            hours.setdefault(example.priority, []).append(example.hours)
        return cls(
            {
                priority: [round(quantile(values, q), 3) for q in QUANTILES]
                for priority, values in sorted(hours.items())
                if len(values) >= MIN_PER_PRIORITY
            }
        )

    def predict(self, created_at, priority, assigned_to, source, title) -> tuple[float, float] | None:
        found = self.quantiles.get(priority)
        return (found[0], found[1]) if found else None

    def parameters(self) -> dict:
        return {"quantiles": self.quantiles}


class LogLinear:
    """A ridge regression of log(hours), with residual offsets for the p50 and the p90."""

    kind = "log_linear"

    def __init__(self, bias: float, weights: dict[str, float], offsets: list[float]):
        self.bias = bias
        self.weights = weights
        self.offsets = offsets

    @classmethod
    def fit(cls, fitting: Sequence[Example], calibration: Sequence[Example]) -> "LogLinear":
        """Fit the weights on `fitting`, then the quantile offsets on the later `calibration` examples."""
        rows = [example_features(example) for example in fitting]
        vocabulary = choose_vocabulary(rows)
        index = {name: position for position, name in enumerate(vocabulary)}
        target = np.log(np.array([example.hours for example in fitting]) + HOURS_OFFSET)
        bias, coefficients = ridge(rows, index, target)
        model = cls(
            round(bias, 5),
            {name: round(float(w), 5) for name, w in zip(vocabulary, coefficients, strict=True)},
            [0, 0],
        )
        calibration_target = np.log(np.array([example.hours for example in calibration]) + HOURS_OFFSET)
        predicted = np.array([model.log_hours(example_features(example)) for example in calibration])
        residuals = calibration_target - predicted
        model.offsets = [
            round(quantile(residuals, QUANTILES[0]), 5),
            round(conformal_quantile(residuals, QUANTILES[1]), 5),
        ]
        return model

    def log_hours(self, names: Sequence[str]) -> float:
        weights = self.weights
        return self.bias + sum(weights.get(name, 0.0) for name in names)

    def predict(self, created_at, priority, assigned_to, source, title) -> tuple[float, float]:
        center = self.log_hours(feature_names(created_at, priority, assigned_to, source, title))
        p50, p90 = (max(0.0, math.exp(center + offset) - HOURS_OFFSET) for offset in self.offsets)
        return p50, max(p50, p90)

    def parameters(self) -> dict:
        return {"bias": self.bias, "weights": self.weights, "offsets": self.offsets}


def choose_vocabulary(rows: Sequence[Sequence[str]]) -> list[str]:
    """The features seen in MIN_FEATURE_COUNT examples; of words and assignees, the most frequent."""
    seen = Counter(name for names in rows for name in names)
    common = [(name, n) for name, n in seen.items() if n >= MIN_FEATURE_COUNT]
    words = sorted(
        (item for item in common if item[0].startswith("word=")), key=lambda item: (-item[1], item[0])
    )
    assignees = sorted(
        (item for item in common if item[0].startswith("assignee=")), key=lambda item: (-item[1], item[0])
    )
    others = [name for name, _ in common if not name.startswith(("word=", "assignee="))]
    return (
        sorted(others)
        + [name for name, _ in assignees[:MAX_ASSIGNEES]]
        + [name for name, _ in words[:MAX_WORDS]]
    )


def ridge(
    rows: Sequence[Sequence[str]], index: dict[str, int], target: np.ndarray
) -> tuple[float, np.ndarray]:
    """Solve ridge regression over 0/1 features (plus an unpenalised bias) from sparse rows.

    The normal equations are summed from the pairs of features each row has
    (a few dozen per row), never from a dense matrix: memory stays at the
    size of the vocabulary squared.
    """
    size = len(index) + 1  # the last column is the bias
    gram = np.zeros(size * size)
    moment = np.zeros(size)
    chunk = 20_000
    for start in range(0, len(rows), chunk):
        columns = [
            np.array([index[name] for name in names if name in index] + [size - 1], dtype=np.int64)
            for names in rows[start : start + chunk]
        ]
        pairs = np.concatenate([(column[:, None] * size + column[None, :]).ravel() for column in columns])
        gram += np.bincount(pairs, minlength=size * size)
        for column, value in zip(columns, target[start : start + chunk], strict=True):
            moment[column] += value
    gram = gram.reshape(size, size)
    penalty = np.full(size, RIDGE)
    penalty[-1] = 0.0
    solution = np.linalg.solve(gram + np.diag(penalty), moment)
    return float(solution[-1]), solution[:-1]


def pinball(hours: np.ndarray, predicted: np.ndarray, q: float) -> float:
    """The mean pinball (quantile) loss of `predicted` q-quantiles, in hours."""
    error = hours - predicted
    return float(np.mean(np.maximum(q * error, (q - 1) * error)))


@dataclass(frozen=True)
class Scores:
    """How one predictor did on the hold-out."""

    pinball_p50: float
    pinball_p90: float
    coverage_p90: float
    predicted: int

    def as_dict(self) -> dict:
        return {
            "pinball_p50_hours": round(self.pinball_p50, 3),
            "pinball_p90_hours": round(self.pinball_p90, 3),
            "coverage_p90": round(self.coverage_p90, 4),
            "predicted": self.predicted,
        }


def score(predictor, examples: Sequence[Example]) -> Scores | None:
    """Pinball losses and p90 coverage of `predictor` over the examples it gives a prediction for."""
    pairs = [
        (example.hours, found)
        for example in examples
        if (
            found := predictor.predict(
                example.created_at, example.priority, example.assigned_to, example.source, example.title
            )
        )
    ]
    if not pairs:
        return None
    hours = np.array([hours for hours, _ in pairs])
    p50 = np.array([found[0] for _, found in pairs])
    p90 = np.array([found[1] for _, found in pairs])
    return Scores(
        pinball(hours, p50, 0.5), pinball(hours, p90, 0.9), float(np.mean(hours <= p90)), len(pairs)
    )


@dataclass(frozen=True)
class Comparison:
    """The hold-out figures of the baseline and of the model (None when there were too few examples)."""

    examples: int
    holdout: int
    baseline: Scores | None
    model: Scores | None

    @property
    def model_wins(self) -> bool:
        """The model beats the baseline at both quantiles and its p90 covers 85-95% of the hold-out."""
        if self.model is None or self.baseline is None:
            return False
        low, high = COVERAGE_RANGE
        return (
            self.model.pinball_p50 < self.baseline.pinball_p50
            and self.model.pinball_p90 < self.baseline.pinball_p90
            and low <= self.model.coverage_p90 <= high
        )

    def as_dict(self) -> dict:
        return {
            "examples": self.examples,
            "holdout": self.holdout,
            "baseline": self.baseline.as_dict() if self.baseline else None,
            "model": self.model.as_dict() if self.model else None,
            "model_wins": self.model_wins,
        }


def compare(examples: Sequence[Example]) -> Comparison:
    """Fit both predictors on the older examples and score them on the newest (time order)."""
    ordered = sorted(examples, key=lambda example: example.created_at)
    fit_end, calibration_end = (int(len(ordered) * share) for share in COMPARE_SPLITS)
    fitting, calibration, holdout = (
        ordered[:fit_end],
        ordered[fit_end:calibration_end],
        ordered[calibration_end:],
    )
    baseline = score(Baseline.fit(ordered[:calibration_end]), holdout)
    model = None
    if fit_end >= MIN_FOR_MODEL and calibration:
        model = score(LogLinear.fit(fitting, calibration), holdout)
    return Comparison(len(ordered), len(holdout), baseline, model)


def fit_for_serving(examples: Sequence[Example], *, use_model: bool):
    """The predictor to serve, from every example: the model (calibrated on the newest) or the baseline."""
    ordered = sorted(examples, key=lambda example: example.created_at)
    if not use_model:
        return Baseline.fit(ordered)
    split = int(len(ordered) * SERVE_SPLIT)
    return LogLinear.fit(ordered[:split], ordered[split:])


def predictor_from(kind: str, parameters: dict):
    """A predictor from its stored kind and parameters."""
    if kind == Baseline.kind:
        return Baseline(parameters["quantiles"])
    if kind == LogLinear.kind:
        return LogLinear(parameters["bias"], parameters["weights"], parameters["offsets"])
    raise ValueError(f"unknown resolution model kind {kind!r}")
