"""Driver for apps/coordinator/src/interop/pythonQueries.test.ts: reads the cases (JSON) from stdin, answers each with
flock_client.queries as a silo would, and writes {case id: answer numbers | {"refused": reason}} to stdout.

A case: {id, query, context, shape [n, h, w, c], features (flat, float32 values), labels, numClasses, seed?, model?}.
`seed` draws the examplesPerDevice sample from Mulberry32(seed), as the TS side does; `model` ({name, weights: base64
FLKW}) is the global model a confusion matrix scores, run on the numpy engine.
"""

import base64
import json
import sys

import numpy as np

from flock_client.data import Examples
from flock_client.models import build_model
from flock_client.queries import confusion_matrix_answer, device_answer, predicted_labels, secure_draws
from flock_client.wire import Mulberry32, decode_weights


def answer(case: dict):
    shape = tuple(case["shape"])
    examples = Examples(np.asarray(case["features"], dtype=np.float32).reshape(shape), np.asarray(case["labels"], dtype=np.int64), "case")
    draws = Mulberry32(case["seed"]).draws if "seed" in case else secure_draws
    if case["query"]["kind"] != "confusion-matrix":
        return device_answer(case["query"], case["context"], examples, case["numClasses"], draws)
    weights = decode_weights(base64.b64decode(case["model"]["weights"]))
    model = build_model(case["model"]["name"], weights.manifest, input_shape=shape[1:], num_classes=case["numClasses"], prefer="numpy")
    model.set_weights(weights.values)
    return confusion_matrix_answer(case["query"], case["context"], examples, case["numClasses"], lambda x: predicted_labels(model.predict, x), draws)


def main() -> None:
    results = {}
    for case in json.load(sys.stdin):
        try:
            results[case["id"]] = [float(v) for v in answer(case)]
        except ValueError as err:
            results[case["id"]] = {"refused": str(err)}
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
