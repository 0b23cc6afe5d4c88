"""FLKD: the dataset shard a device downloads once (fl-core's data/dataset.ts), little-endian:

    "FLKD", u8 version=1, u8 channels, u8 numClasses, u8 reserved, u32 count, u16 height, u16 width,
    labels (count bytes), pixels (count * height * width * channels bytes)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Union

import numpy as np

from .errors import WireError

_MAGIC = b"FLKD"
_HEADER = 16
_VERSION = 1
# What tfjs multiplies the pixels by (a float32): the examples come out as a tab trains on them.
_PIXEL_SCALE = np.float32(1 / 255)


@dataclass(frozen=True)
class Dataset:
    pixels: np.ndarray  # uint8 [n, h, w, c]
    labels: np.ndarray  # uint8 [n]
    num_classes: int

    @cached_property
    def x(self) -> np.ndarray:
        """float32 [n, h, w, c]: pixels times float32(1/255), as fl-core's tensors hold them."""
        return self.pixels.astype(np.float32) * _PIXEL_SCALE

    @cached_property
    def y(self) -> np.ndarray:
        """int64 [n]: the class of each example."""
        return self.labels.astype(np.int64)


def decode_dataset(data: Union[bytes, bytearray, memoryview]) -> Dataset:
    view = memoryview(data).cast("B")
    if len(view) < _HEADER or bytes(view[:4]) != _MAGIC:
        raise WireError("not a Flock dataset (bad magic)")
    if view[4] != _VERSION:
        raise WireError(f"dataset format version {view[4]} is not supported (expected {_VERSION})")
    channels, num_classes = view[5], view[6]
    count = int(np.frombuffer(view, dtype="<u4", count=1, offset=8)[0])
    height, width = (int(d) for d in np.frombuffer(view, dtype="<u2", count=2, offset=12))
    size = height * width * channels
    if len(view) != _HEADER + count + count * size:
        raise WireError("dataset length does not match its header")
    labels = np.frombuffer(view, dtype=np.uint8, count=count, offset=_HEADER).copy()
    if count and int(labels.max()) >= num_classes:
        raise WireError("dataset holds a label outside its classes")
    pixels = np.frombuffer(view, dtype=np.uint8, offset=_HEADER + count).reshape(count, height, width, channels).copy()
    return Dataset(pixels, labels, num_classes)


def encode_dataset(pixels: Any, labels: Any, num_classes: int) -> bytes:
    """A shard of uint8 pixels [n, h, w, c] and their labels (for tests and tools)."""
    pixels = np.asarray(pixels)
    labels = np.asarray(labels)
    if pixels.ndim != 4 or pixels.dtype != np.uint8:
        raise WireError(f"pixels must be uint8 [n, height, width, channels], got {pixels.dtype} {list(pixels.shape)}")
    count, height, width, channels = pixels.shape
    if labels.shape != (count,):
        raise WireError(f"{labels.size} labels were given for {count} examples")
    if not 0 < num_classes <= 255 or not 0 < channels <= 255 or height > 0xFFFF or width > 0xFFFF:
        raise WireError("a shard holds 1 to 255 classes and channels and at most 65535 pixels a side")
    if count and (labels.min() < 0 or labels.max() >= num_classes):
        raise WireError(f"labels must be classes from 0 to {num_classes - 1}")
    header = _MAGIC + bytes([_VERSION, channels, num_classes, 0])
    header += np.array([count], dtype="<u4").tobytes() + np.array([height, width], dtype="<u2").tobytes()
    return header + labels.astype(np.uint8).tobytes() + np.ascontiguousarray(pixels).tobytes()
