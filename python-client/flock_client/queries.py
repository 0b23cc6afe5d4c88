"""A device's answer to a federated-analytics query, as fl-core's deviceAnswer (analytics/deviceAnswer.ts) computes it:
counts and sums over the silo's own examples, laid out as answerLayout.ts lays them out, so that the coordinator adds
it to the other devices' answers. No example value leaves in it, only these aggregates.

    answer = device_answer(ask["query"], ask["context"], examples, num_classes)           # every kind but the matrix
    answer = confusion_matrix_answer(ask["query"], ask["context"], examples, num_classes, predict)

`examples`: the silo's training examples (data.Examples: x float32, tabular rows as [n, 1, columns, 1], and labels).
A device holding more examples than the query lets it count (examplesPerDevice, within the federation's
maxExamplesPerDevice) counts a random sample of them, drawn as TS draws it: Fisher-Yates over the indices with
`draws` (default the OS's CSPRNG; a seeded wire.Mulberry32's `draws` gives TS's very sample).
"""

from __future__ import annotations

import os
from typing import Callable

import numpy as np

from .data import Examples

#: Draws uniform [0, 1) numbers, n at a time.
Draws = Callable[[int], np.ndarray]
#: The global model's predicted class per example of the examples given.
Predict = Callable[[np.ndarray], np.ndarray]

QUERY_KINDS = ("label-histogram", "column-stats", "quantiles", "confusion-matrix", "frequent-values")


class QueryRefused(ValueError):
    """This device cannot answer the query; the message says why, for the person at the silo."""


def secure_draws(n: int) -> np.ndarray:
    """Uniform [0, 1) from the OS's CSPRNG, as fl-core's secureRandom: which examples are counted must not be predictable."""
    return np.frombuffer(os.urandom(4 * n), dtype="<u4").astype(np.float64) / 4294967296.0


def examples_cap(query: dict, context: dict) -> int:
    """queryContext.ts examplesCap: the query's examplesPerDevice within the federation's ceiling."""
    ceiling = int(context["maxExamplesPerDevice"])
    asked = (query.get("privacy") or {}).get("examplesPerDevice")
    return min(int(asked), ceiling) if asked is not None else ceiling


def counted_indices(count: int, cap: int, draws: Draws = secure_draws) -> np.ndarray:
    """deviceAnswer.ts countedExamples: all examples, or the first `cap` of a Fisher-Yates shuffle, in index order."""
    if count <= cap:
        return np.arange(count)
    order = list(range(count))
    # shuffleInPlace draws once per i from count-1 down to 1; the draws do not depend on the swaps.
    picks = np.floor(draws(count - 1) * np.arange(count, 1, -1)).astype(np.int64).tolist()
    for i, j in zip(range(count - 1, 0, -1), picks):
        order[i], order[j] = order[j], order[i]
    return np.sort(np.array(order[:cap], dtype=np.int64))


def answer_length(query: dict, context: dict) -> int:
    """answerLayout(query, context).length."""
    classes = len(context["classes"])
    kind = query["kind"]
    if kind == "label-histogram":
        return classes
    if kind == "confusion-matrix":
        return classes * classes
    if kind == "quantiles":
        return len(query["edges"]) + 1
    if kind == "frequent-values":
        return 2 * _frequent_value_count(query, context)
    if kind == "column-stats":
        columns = query["columns"]
        return 1 + 2 * len(columns) + sum(_bins(c) + 2 for c in columns)
    raise QueryRefused(f"this device does not know the query kind {kind!r}: update the Python client")


def device_answer(query: dict, context: dict, examples: Examples, num_classes: int, draws: Draws = secure_draws) -> np.ndarray:
    """One device's answer (float64) to a data query: every kind but confusion-matrix."""
    kind = query.get("kind")
    if kind == "confusion-matrix":
        raise QueryRefused("a confusion matrix needs the model's predictions: use confusion_matrix_answer")
    if kind not in QUERY_KINDS:
        raise QueryRefused(f"this device does not know the query kind {kind!r}: update the Python client")
    _check_classes(context, num_classes)
    counted = _counted(examples, examples_cap(query, context), draws)
    answer = np.zeros(answer_length(query, context), dtype=np.float64)
    if kind == "label-histogram":
        answer += np.bincount(counted.labels, minlength=len(answer))[: len(answer)]
    elif kind == "column-stats":
        _column_stats(query, context, counted, answer)
    elif kind == "quantiles":
        slots = _quantile_slots(query["edges"], _column(context, counted, query["column"]))
        answer += np.bincount(slots, minlength=len(answer))
    else:
        _frequent_values(query, context, counted, answer)
    return answer


def confusion_matrix_answer(query: dict, context: dict, examples: Examples, num_classes: int, predict: Predict, draws: Draws = secure_draws) -> np.ndarray:
    """One device's confusion counts (row: true label, column: predicted), row-major, from the global model's
    predictions on the counted examples (`predict` runs the model); only the classes x classes counts leave."""
    _check_classes(context, num_classes)
    counted = _counted(examples, examples_cap(query, context), draws)
    predicted = np.asarray(predict(counted.x)).astype(np.int64).ravel()
    return confusion_answer(predicted, counted.labels, len(context["classes"]))


def confusion_answer(predicted: np.ndarray, truth: np.ndarray, num_classes: int) -> np.ndarray:
    """deviceAnswer.ts confusionAnswer."""
    predicted, truth = np.asarray(predicted, dtype=np.int64), np.asarray(truth, dtype=np.int64)
    if len(predicted) != len(truth):
        raise QueryRefused(f"{len(predicted)} predictions for {len(truth)} labels")
    bad = np.flatnonzero((truth < 0) | (truth >= num_classes) | (predicted < 0) | (predicted >= num_classes))
    if len(bad):
        i = int(bad[0])
        raise QueryRefused(f"example {i}: label {truth[i]} or prediction {predicted[i]} is not one of the {num_classes} classes")
    return np.bincount(truth * num_classes + predicted, minlength=num_classes * num_classes).astype(np.float64)


def describe_numbers(numbers, shown: int = 12) -> str:
    """The numbers that left, as a person reads them: whole counts without a decimal point, the first `shown` of them."""
    words = [str(int(v)) if float(v).is_integer() else repr(float(v)) for v in list(numbers)[:shown]]
    more = f" and {len(numbers) - shown} more" if len(numbers) > shown else ""
    return ", ".join(words) + more


# ---- the kinds ----


def _check_classes(context: dict, num_classes: int) -> None:
    if num_classes != len(context["classes"]):
        raise QueryRefused(f"this device's examples have {num_classes} classes, the federation {len(context['classes'])}: import them again")


def _counted(examples: Examples, cap: int, draws: Draws) -> Examples:
    if examples.count <= cap:
        return examples
    index = counted_indices(examples.count, cap, draws)
    return Examples(examples.x[index], examples.labels[index], examples.file)


def _bins(column: dict) -> int:
    return int(column.get("bins", 10))


def _column(context: dict, examples: Examples, name: str) -> np.ndarray:
    """One column of the rows as float64 (the float32 each row holds, compared and summed in double as JavaScript does)."""
    columns = context.get("columns")
    if columns is None or examples.x.ndim != 4 or examples.x.shape[1] != 1 or examples.x.shape[3] != 1:
        raise QueryRefused("this device's examples are images: they have no columns to read")
    size = int(np.prod(examples.x.shape[1:]))
    if name not in columns or size != len(columns):
        raise QueryRefused(f"this device's rows have {size} columns, the federation {len(columns)}: import them again")
    return examples.x.reshape(examples.count, size)[:, columns.index(name)].astype(np.float64)


def _quantile_slots(edges: list, x: np.ndarray) -> np.ndarray:
    """quantileSlot: 0 below the first edge, i for [e(i-1), e(i)) (the last bin holds its upper edge), len(edges) above."""
    e = np.asarray(edges, dtype=np.float64)
    inside = np.minimum(np.searchsorted(e, x, side="right") - 1, len(e) - 2) + 1
    return np.where(x < e[0], 0, np.where(x > e[-1], len(e), inside)).astype(np.int64)


def _column_slots(column: dict, x: np.ndarray) -> np.ndarray:
    """columnSlot: 0 below low, 1..bins for the equal ranges (high falls in the last), bins + 1 above high."""
    low, high, bins = float(column["low"]), float(column["high"]), _bins(column)
    with np.errstate(invalid="ignore"):
        inside = 1 + np.minimum(bins - 1, np.floor(((x - low) / (high - low)) * bins))
    return np.where(x < low, 0, np.where(x > high, bins + 1, inside)).astype(np.int64)


def _sequential_sum(values: np.ndarray) -> float:
    """From 0, left to right, as the TS loop adds (numpy's sum adds pairwise, which can differ in the last bits)."""
    return float(np.cumsum(np.concatenate(([0.0], values)))[-1])


def _column_stats(query: dict, context: dict, examples: Examples, answer: np.ndarray) -> None:
    """[count, sum of (x - centre) per column, sum of (x - centre)^2 per column, each column's slots]; x clipped to [low, high] in the sums."""
    columns = query["columns"]
    answer[0] = examples.count
    slot_start = 1 + 2 * len(columns)
    for j, c in enumerate(columns):
        x = _column(context, examples, c["name"])
        low, high = float(c["low"]), float(c["high"])
        offset = np.minimum(high, np.maximum(low, x)) - (low + high) / 2
        answer[1 + j] = _sequential_sum(offset)
        answer[1 + len(columns) + j] = _sequential_sum(offset * offset)
        slots = _bins(c) + 2
        answer[slot_start : slot_start + slots] += np.bincount(_column_slots(c, x), minlength=slots)
        slot_start += slots


def _frequent_value_count(query: dict, context: dict) -> int:
    values = query.get("values")
    return len(values) if values is not None else len(context["classes"])


def _frequent_values(query: dict, context: dict, examples: Examples, answer: np.ndarray) -> None:
    """[how many examples hold each value, then 1 or 0 per value: whether this device holds it at all]."""
    values = _frequent_value_count(query, context)
    column = query.get("column")
    classes = list(context["classes"])
    if column is None or column == context.get("labelColumn"):
        listed = query.get("values") or classes
        slot_of = {classes.index(str(v)) if str(v) in classes else -1: i for i, v in enumerate(listed)}
        keys = examples.labels.tolist()
    else:
        # Rows hold float32: a listed code is compared as the float32 it would be stored as.
        slot_of = {float(np.float32(v)): i for i, v in enumerate(query["values"])}
        keys = _column(context, examples, column).tolist()
    for key in keys:
        slot = slot_of.get(key)
        if slot is not None:
            answer[slot] += 1
    answer[values : 2 * values] = (answer[:values] > 0).astype(np.float64)


def predicted_labels(model_predict: Callable[[np.ndarray], np.ndarray], x: np.ndarray, batch: int = 500) -> np.ndarray:
    """The argmax of the model's outputs, `batch` examples at a time (as fl-core's predictLabels)."""
    out = [np.argmax(model_predict(x[i : i + batch]), axis=1) for i in range(0, len(x), batch)]
    return np.concatenate(out).astype(np.int64) if out else np.zeros(0, dtype=np.int64)
