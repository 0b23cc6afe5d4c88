"""Runs a batch of wire cases for apps/coordinator/src/interop/pythonCodecs.test.ts in one interpreter start.

stdin: a JSON list of cases; stdout: a JSON list of results, one per case. Binary fields are base64: float32 and
float64 arrays little-endian. A case whose codec refuses its input answers {"error": message}.
"""

import base64
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

from flock_client.wire import (
    ErrorFeedback,
    Mulberry32,
    WireError,
    apply_downlink,
    decode_dataset,
    decode_weights,
    encode_dataset,
    encode_weights,
    seed_from_text,
)


def b64(data) -> str:
    return base64.b64encode(bytes(data)).decode()


def unb64(text: str) -> bytes:
    return base64.b64decode(text)


def floats(text: str) -> np.ndarray:
    return np.frombuffer(unb64(text), dtype="<f4").copy()


def random_source(case):
    """Mulberry32 from a seed, or the draws the TypeScript side recorded."""
    if "seed" in case:
        return Mulberry32(case["seed"])
    if "draws" in case:
        return np.frombuffer(unb64(case["draws"]), dtype="<f8")
    return None


def encode_options(case):
    return {
        "codec": case["codec"],
        "topk_fraction": case.get("topkFraction"),
        "int8_chunk": case.get("int8Chunk", 256),
        "rng": random_source(case),
    }


def run(case, state_dir: Path):
    op = case["op"]
    if op == "decode":
        d = decode_weights(unb64(case["payload"]), case.get("expected"))
        return {
            "kind": d.kind,
            "codec": d.codec,
            "manifest": [spec.to_json() for spec in d.manifest],
            "values": b64(d.values.astype("<f4").tobytes()),
            "carried": d.carried,
        }
    if op == "encode":
        payload = encode_weights(case["manifest"], floats(case["values"]), kind=case.get("kind", "delta"), **encode_options(case))
        return {"payload": b64(payload)}
    if op == "feedback":
        # Every round in a new ErrorFeedback on the same file: a client restarted between rounds.
        path = state_dir / case["name"]
        payloads = []
        for delta in case["deltas"]:
            options = encode_options(case)
            if "seeds" in case:
                options["rng"] = Mulberry32(case["seeds"][len(payloads)])
            feedback = ErrorFeedback.for_device(path, case.get("federationId"), case["shardId"])
            payloads.append(b64(encode_weights(case["manifest"], floats(delta), error_feedback=feedback, **options)))
        residual = ErrorFeedback.for_device(path, case.get("federationId"), case["shardId"]).residual
        return {"payloads": payloads, "residual": b64(residual.astype("<f4").tobytes())}
    if op == "downlink":
        values = apply_downlink(floats(case["held"]), unb64(case["payload"]), case["manifest"], case["precision"])
        return {"values": b64(values.astype("<f4").tobytes())}
    if op == "draws":
        return {"draws": b64(Mulberry32(case["seed"]).draws(case["count"]).astype("<f8").tobytes())}
    if op == "seed":
        return {"seed": seed_from_text(case["text"])}
    if op == "dataset-decode":
        d = decode_dataset(unb64(case["data"]))
        return {"shape": list(d.pixels.shape), "labels": b64(d.labels), "pixels": b64(d.pixels), "numClasses": d.num_classes}
    if op == "dataset-encode":
        pixels = np.frombuffer(unb64(case["pixels"]), dtype=np.uint8).reshape(case["shape"])
        labels = np.frombuffer(unb64(case["labels"]), dtype=np.uint8)
        return {"data": b64(encode_dataset(pixels, labels, case["numClasses"]))}
    raise ValueError(f"unknown case op {op!r}")


def main() -> None:
    cases = json.load(sys.stdin)
    with tempfile.TemporaryDirectory(prefix="flock-wire-interop-") as state_dir:
        results = []
        for case in cases:
            try:
                results.append(run(case, Path(state_dir)))
            except WireError as error:
                results.append({"error": str(error)})
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
