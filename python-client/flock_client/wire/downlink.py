"""The global model as the coordinator sends it after the first round (fl-core's codec/downlinkDelta.ts): an int8
delta against a model the device holds, the sum rounded to the downlink's grid. The coordinator computes the same,
so both hold exactly the same values and the delta's rounding never accumulates."""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import WireError
from .float16 import floats_to_halves, halves_to_floats
from .weights import ManifestLike, decode_weights, encode_weights

PRECISIONS = ("float32", "float16")


def on_downlink_grid(values: np.ndarray, precision: str) -> np.ndarray:
    """The values as devices hold them: float16 values when the federation sends float16."""
    if precision not in PRECISIONS:
        raise WireError(f"downlink precision must be float32 or float16, got {precision!r}")
    return values if precision == "float32" else halves_to_floats(floats_to_halves(values))


def apply_downlink(held: Any, payload: bytes, manifest: ManifestLike, precision: str) -> np.ndarray:
    """The next held model (flat float32) from the one held for round:start's modelBase.round and its delta payload;
    `precision` is modelBase.precision."""
    delta = decode_weights(payload, manifest)
    if delta.kind != "delta":
        raise WireError("a model delta payload holds full weights")
    held = np.ascontiguousarray(held, dtype=np.float32).ravel()
    if held.size != delta.values.size:
        raise WireError(f"the held model has {held.size} values, the delta {delta.values.size}")
    return on_downlink_grid(held + delta.values, precision)


def encode_model_delta(manifest: ManifestLike, held: Any, global_values: Any) -> bytes:
    """The coordinator's side, for tests: the delta from a held model to the new global one, int8 rounded to nearest."""
    held = np.ascontiguousarray(held, dtype=np.float32).ravel()
    global_values = np.ascontiguousarray(global_values, dtype=np.float32).ravel()
    return encode_weights(manifest, global_values - held, codec="int8", kind="delta")
