"""IEEE binary16 conversions with fl-core's bits (codec/float16.ts): round to nearest even, 65520 and up to Infinity,
every NaN to 0x7e00 with its sign."""

from __future__ import annotations

import numpy as np

HALF_MAX = 65504.0


def floats_to_halves(values: np.ndarray) -> np.ndarray:
    """The half bits (uint16) of each float32 value."""
    f = np.ascontiguousarray(values, dtype=np.float32).ravel()
    bits = f.view(np.uint32)
    sign = (bits >> np.uint32(16)) & np.uint32(0x8000)
    a = bits & np.uint32(0x7FFFFFFF)
    # Normal halves: rebias the exponent (127 -> 15) and drop 13 mantissa bits, rounding to nearest even.
    out = (a - np.uint32(0x38000000) + np.uint32(0xFFF) + ((a >> np.uint32(13)) & np.uint32(1))) >> np.uint32(13)
    out[a >= np.uint32(0x477FF000)] = 0x7C00  # 65520 and up, Infinity
    out[a > np.uint32(0x7F800000)] = 0x7E00  # NaN
    # Subnormal halves (and zero): the value in units of 2^-24 (exact in float64), rounded to nearest even.
    small = a < np.uint32(0x38800000)
    units = np.abs(f[small].astype(np.float64)) * 16777216.0
    floor = np.floor(units)
    rest = units - floor
    up = (rest > 0.5) | ((rest == 0.5) & (np.fmod(floor, 2.0) == 1.0))
    out[small] = (floor + up).astype(np.uint32)
    return (sign | out).astype(np.uint16)


def _half_table() -> np.ndarray:
    table = np.arange(65536, dtype=np.uint32).astype(np.uint16).view(np.float16).astype(np.float32)
    # One NaN, as fl-core's table holds (JS has a single NaN value).
    table[np.isnan(table)] = np.float32("nan")
    return table


_TABLE = _half_table()


def halves_to_floats(halves: np.ndarray) -> np.ndarray:
    """The float32 of each half (given as uint16 bits)."""
    return _TABLE[np.asarray(halves, dtype=np.uint16)]
