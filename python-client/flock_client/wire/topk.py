"""The top-k data section of a FLKW payload, as fl-core's codec/topkCodec.ts writes and reads it (little-endian):

    u32          count k
    u16 x k      the kept values as float16, in index order
    varint x k   their indices, delta-coded: the first index, then each gap minus one (LEB128, 7 bits a byte),
                 ending exactly at the payload's end

Unsent values read as 0.
"""

from __future__ import annotations

import math

import numpy as np

from .errors import WireError
from .float16 import HALF_MAX, floats_to_halves, halves_to_floats

DEFAULT_TOPK_FRACTION = 0.01
_MAX_VARINT_BYTES = 5


def topk_count(size: int, fraction: float) -> int:
    """How many values top-k keeps out of `size`: at least one."""
    return min(size, max(1, math.ceil(fraction * size)))


def select_topk(values: np.ndarray, k: int) -> np.ndarray:
    """Indices (ascending) of the k values largest in magnitude, as fl-core's selectTopK picks them: magnitudes are
    compared by their float32 bits (NaN above Infinity above every number), ties at the threshold go in index order,
    and exact zeros are never kept (fewer come back when fewer are non-zero)."""
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    magnitude = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32) & np.uint32(0x7FFFFFFF)
    nonzero = np.flatnonzero(magnitude)
    if nonzero.size <= k:
        return nonzero
    threshold = np.partition(magnitude, magnitude.size - k)[magnitude.size - k]
    above = np.flatnonzero(magnitude > threshold)
    ties = np.flatnonzero(magnitude == threshold)[: k - above.size]
    return np.union1d(above, ties)


def encode_topk(values: np.ndarray, indices: np.ndarray) -> bytes:
    indices = np.asarray(indices, dtype=np.int64)
    k = indices.size
    if k and (indices[0] < 0 or np.any(np.diff(indices) <= 0)):
        raise WireError("top-k indices must be distinct and ascend")
    kept = values[indices].astype(np.float32)
    # Finite values beyond float16 are clamped (error feedback keeps the rest); NaN and Infinity go as they are.
    finite = np.isfinite(kept)
    kept[finite] = np.clip(kept[finite], -HALF_MAX, HALF_MAX)
    gaps = np.diff(indices, prepend=-1) - 1
    return np.uint32(k).astype("<u4").tobytes() + floats_to_halves(kept).astype("<u2").tobytes() + _varints(gaps)


def _varints(gaps: np.ndarray) -> bytes:
    """LEB128 of each gap, vectorised: byte j of a gap carries bits 7j.. and a continuation bit when more follow."""
    lengths = np.ones(gaps.size, dtype=np.int64)
    for j in range(1, _MAX_VARINT_BYTES):
        lengths += gaps >= 1 << (7 * j)
    starts = np.cumsum(lengths) - lengths
    out = np.zeros(int(lengths.sum()), dtype=np.uint8)
    for j in range(_MAX_VARINT_BYTES):
        has = lengths > j
        more = (lengths > j + 1).astype(np.int64) << 7
        out[starts[has] + j] = (((gaps[has] >> (7 * j)) & 0x7F) | more[has]).astype(np.uint8)
    return out.tobytes()


def decode_topk(data: memoryview, size: int) -> "tuple[np.ndarray, int]":
    """The dense values (zeros where nothing was sent) and how many were sent."""
    if len(data) < 4:
        raise WireError(f"top-k data of {len(data)} bytes has no count")
    k = int(np.frombuffer(data, dtype="<u4", count=1)[0])
    if k > size:
        raise WireError(f"top-k payload claims {k} values, the model has {size}")
    varint_start = 4 + 2 * k
    if len(data) < varint_start + k:
        raise WireError(f"top-k data of {len(data)} bytes cannot hold {k} values and their indices")
    kept = halves_to_floats(np.frombuffer(data, dtype="<u2", count=k, offset=4))
    tail = np.frombuffer(data, dtype=np.uint8, offset=varint_start)
    ends = np.flatnonzero(tail < 0x80)[:k]
    starts = np.concatenate(([0], ends[:-1] + 1)).astype(np.int64) if ends.size else np.zeros(0, dtype=np.int64)
    lengths = ends - starts + 1
    gaps = np.zeros(ends.size, dtype=np.int64)
    for j in range(_MAX_VARINT_BYTES):
        has = lengths > j
        gaps[has] += (tail[starts[has] + j].astype(np.int64) & 0x7F) << (7 * j)
    # A fifth byte holds bits 28 to 31 only; a longer index does not fit 32 bits.
    too_long = (lengths > _MAX_VARINT_BYTES) | ((lengths == _MAX_VARINT_BYTES) & (tail[ends] > 0x0F))
    indices = np.cumsum(gaps + 1) - 1
    past = indices >= size
    bad = np.flatnonzero(too_long | past)
    if bad.size:
        j = int(bad[0])
        if too_long[j]:
            raise WireError(f"top-k index {j} of {k} does not fit 32 bits")
        raise WireError(f"top-k index {int(indices[j])} is past the model's {size} values")
    if ends.size < k:
        if tail.size - (int(ends[-1]) + 1 if ends.size else 0) >= _MAX_VARINT_BYTES:
            raise WireError(f"top-k index {ends.size} of {k} does not fit 32 bits")
        raise WireError(f"top-k index {ends.size} of {k} is cut off")
    used = int(ends[-1]) + 1 if k else 0
    if used != tail.size:
        raise WireError(f"top-k data has {tail.size - used} bytes after its {k} indices")
    out = np.zeros(size, dtype=np.float32)
    out[indices] = kept
    return out, k
