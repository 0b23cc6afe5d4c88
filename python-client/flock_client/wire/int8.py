"""The int8 data section of a FLKW payload, as fl-core's codec/int8Codec.ts writes and reads it (little-endian):

    u32                  chunk size C
    f32 x ceil(n / C)    scale of each chunk: max|x| / 127 over its values (NaN when one is not finite)
    i8  x n              q; the value is q * scale

With random draws each value rounds stochastically, q = floor(x / scale + u) (unbiased); without, to nearest.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from .errors import WireError
from .rng import RandomSource, take_draws

DEFAULT_INT8_CHUNK = 256
MAX_INT8_CHUNK = 1 << 20


def int8_data_bytes(count: int, chunk_size: int) -> int:
    return 4 + 4 * -(-count // chunk_size) + count


def encode_int8(values: np.ndarray, chunk_size: int, rng: Optional[RandomSource] = None) -> bytes:
    if not isinstance(chunk_size, int) or isinstance(chunk_size, bool) or not 1 <= chunk_size <= MAX_INT8_CHUNK:
        raise WireError(f"int8 chunk size must be an integer from 1 to {MAX_INT8_CHUNK}, got {chunk_size}")
    n = values.size
    chunks = -(-n // chunk_size)
    padded = np.zeros(chunks * chunk_size, dtype=np.float64)
    padded[:n] = values
    rows = padded.reshape(chunks, chunk_size)
    with np.errstate(invalid="ignore"):
        peak = np.abs(rows).max(axis=1) if chunks else np.zeros(0)
    # A chunk holding NaN or Infinity gets a NaN scale and zeros: the coordinator refuses the update with a reason.
    finite = np.isfinite(peak)
    scales = np.where(finite, peak / 127.0, np.nan).astype(np.float32)
    active = finite & (scales != 0)
    inv = np.zeros(chunks, dtype=np.float64)
    inv[active] = 1.0 / scales[active].astype(np.float64)
    # fl-core draws one number per value of each chunk it rounds, in index order, skipping zero and NaN chunks.
    in_active = np.repeat(active, chunk_size)[:n]
    scaled = values.astype(np.float64)[in_active] * np.repeat(inv, chunk_size)[:n][in_active]
    if rng is None:
        # JavaScript's Math.round: to nearest, halves up (toward +Infinity).
        r = np.floor(scaled)
        r += scaled - r >= 0.5
    else:
        r = np.floor(scaled + take_draws(rng, scaled.size))
    q = np.zeros(n, dtype=np.int8)
    q[in_active] = np.clip(r, -127, 127).astype(np.int8)
    return np.uint32(chunk_size).astype("<u4").tobytes() + scales.astype("<f4").tobytes() + q.tobytes()


def decode_int8(data: memoryview, count: int) -> np.ndarray:
    if len(data) < 4:
        raise WireError(f"int8 data of {len(data)} bytes has no chunk size")
    chunk_size = int(np.frombuffer(data, dtype="<u4", count=1)[0])
    if not 1 <= chunk_size <= MAX_INT8_CHUNK:
        raise WireError(f"int8 chunk size {chunk_size} is out of range (1 to {MAX_INT8_CHUNK})")
    expected = int8_data_bytes(count, chunk_size)
    if len(data) != expected:
        raise WireError(f"int8 data holds {len(data)} bytes, {count} values in chunks of {chunk_size} need {expected}")
    chunks = -(-count // chunk_size)
    scales = np.frombuffer(data, dtype="<f4", count=chunks, offset=4).astype(np.float32)
    negative = np.flatnonzero(scales < 0)
    if negative.size:
        c = int(negative[0])
        raise WireError(f"int8 chunk {c} has a negative scale {float(scales[c])}")
    q = np.frombuffer(data, dtype=np.int8, count=count, offset=4 + 4 * chunks)
    return q.astype(np.float32) * np.repeat(scales, chunk_size)[:count]
