"""FLKW: a model's variables (or a delta of them) as fl-core's codec/weightsCodec.ts frames them, byte for byte:

     0  "FLKW"            magic
     4  u8 formatVersion  1
     5  u8 codec          0 = float32, 1 = float16, 2 = int8, 3 = topk
     6  u8 kind           0 = weights, 1 = delta
     7  u8 reserved
     8  u32 LE            manifest JSON byte length
    12  manifest JSON     [{"name", "shape", "dtype"}], as JSON.stringify writes it
     …  zero padding to a multiple of 4
     …  data, tensors in manifest order: float32 LE, float16 LE, int8.py's or topk.py's section
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from .errors import WireError
from .float16 import floats_to_halves, halves_to_floats
from .int8 import DEFAULT_INT8_CHUNK, decode_int8, encode_int8
from .rng import RandomSource
from .topk import DEFAULT_TOPK_FRACTION, decode_topk, encode_topk, select_topk, topk_count

if TYPE_CHECKING:
    from .error_feedback import ErrorFeedback

WEIGHTS_FORMAT_VERSION = 1
CODECS = ("float32", "float16", "int8", "topk")  # the codec byte is the index: never renumber
KINDS = ("weights", "delta")
_MAGIC = b"FLKW"
_HEADER_BYTES = 12
MAX_MANIFEST_BYTES = 1 << 20
MAX_DIMENSION = 1 << 28
# Values in one model, all tensors together (256 MiB as float32): decoders refuse more before allocating.
MAX_MODEL_VALUES = 1 << 26


@dataclass(frozen=True)
class TensorSpec:
    """One tensor of a manifest. It also reads like the JSON object it travels as: spec["name"], spec["shape"]."""

    name: str
    shape: Tuple[int, ...]
    dtype: str = "float32"

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def __getitem__(self, key: str) -> Any:
        if key not in ("name", "shape", "dtype"):
            raise KeyError(key)
        return getattr(self, key)

    def to_json(self) -> "dict[str, Any]":
        return {"name": self.name, "shape": list(self.shape), "dtype": self.dtype}


ManifestLike = Iterable[Union[TensorSpec, Mapping[str, Any]]]


@dataclass(frozen=True)
class DecodedWeights:
    kind: str
    codec: str
    manifest: List[TensorSpec]
    # Dense float32, flat, all tensors in manifest order (top-k's unsent values are 0).
    values: np.ndarray
    # How many values the payload carried: all of them, or top-k's count.
    carried: int


def as_manifest(manifest: ManifestLike) -> List[TensorSpec]:
    """TensorSpecs from TensorSpecs or the dicts the JSON holds (dtype defaults to float32)."""
    return [
        spec
        if isinstance(spec, TensorSpec)
        else TensorSpec(str(spec["name"]), tuple(int(d) for d in spec["shape"]), str(spec.get("dtype", "float32")))
        for spec in manifest
    ]


def manifest_size(manifest: Sequence[TensorSpec]) -> int:
    return sum(spec.size for spec in manifest)


def encode_weights(
    manifest: ManifestLike,
    values: Any,
    *,
    codec: str = "float32",
    kind: str = "delta",
    topk_fraction: Optional[float] = None,
    int8_chunk: int = DEFAULT_INT8_CHUNK,
    error_feedback: Optional["ErrorFeedback"] = None,
    rng: Optional[RandomSource] = None,
) -> bytes:
    """A FLKW payload of `values` (flattened to float32) with `codec`. With `error_feedback`, its residual is added
    first and what the payload does not carry is kept (and saved) for the next encode; `rng` gives int8's stochastic
    rounding its draws (without it, int8 rounds to nearest)."""
    specs = as_manifest(manifest)
    flat = np.ascontiguousarray(values, dtype=np.float32).ravel()
    if error_feedback is not None:
        if kind != "delta":
            raise WireError("error feedback applies to deltas, not to full weights")
        return error_feedback.encode(specs, flat, codec=codec, topk_fraction=topk_fraction, int8_chunk=int8_chunk, rng=rng)
    expected = manifest_size(specs)
    if flat.size != expected:
        raise WireError(f"values hold {flat.size} numbers but the manifest describes {expected}")
    if kind not in KINDS:
        raise WireError(f"kind must be 'weights' or 'delta', got {kind!r}")
    if codec == "float32":
        data = flat.astype("<f4").tobytes()
    elif codec == "float16":
        data = floats_to_halves(flat).astype("<u2").tobytes()
    elif codec == "int8":
        data = encode_int8(flat, int8_chunk, rng)
    elif codec == "topk":
        fraction = DEFAULT_TOPK_FRACTION if topk_fraction is None else topk_fraction
        if not 0 < fraction <= 1:
            raise WireError(f"top-k fraction must be in (0, 1], got {fraction}")
        data = encode_topk(flat, select_topk(flat, topk_count(flat.size, fraction)))
    else:
        raise WireError(f"codec must be one of {', '.join(CODECS)}, got {codec!r}")
    manifest_json = json.dumps([spec.to_json() for spec in specs], separators=(",", ":"), ensure_ascii=False)
    # JSON.stringify escapes a lone surrogate as \udXXX, which is what backslashreplace writes for the only characters
    # UTF-8 cannot encode.
    manifest_bytes = manifest_json.encode("utf-8", "backslashreplace")
    header = _MAGIC + bytes([WEIGHTS_FORMAT_VERSION, CODECS.index(codec), KINDS.index(kind), 0])
    header += np.uint32(len(manifest_bytes)).astype("<u4").tobytes()
    padding = b"\0" * (-(_HEADER_BYTES + len(manifest_bytes)) % 4)
    return header + manifest_bytes + padding + data


def decode_weights(data: Union[bytes, bytearray, memoryview], expected: Optional[ManifestLike] = None) -> DecodedWeights:
    """Decodes and checks a payload; with `expected`, a manifest that differs in any tensor is refused."""
    view = memoryview(data).cast("B")
    if len(view) < _HEADER_BYTES:
        raise WireError(f"payload of {len(view)} bytes is shorter than the header")
    if bytes(view[:4]) != _MAGIC:
        raise WireError("payload is not Flock weights (bad magic)")
    if view[4] != WEIGHTS_FORMAT_VERSION:
        raise WireError(f"weights format version {view[4]} is not supported (expected {WEIGHTS_FORMAT_VERSION})")
    if view[5] >= len(CODECS):
        raise WireError(f"codec {view[5]} is not supported (this decoder reads float32, float16, int8 and topk)")
    codec = CODECS[view[5]]
    if view[6] >= len(KINDS):
        raise WireError(f"unknown payload kind {view[6]}")
    kind = KINDS[view[6]]
    manifest_length = int(np.frombuffer(view, dtype="<u4", count=1, offset=8)[0])
    if manifest_length > MAX_MANIFEST_BYTES or _HEADER_BYTES + manifest_length > len(view):
        raise WireError(f"manifest length {manifest_length} does not fit the payload")
    manifest = _parse_manifest(view[_HEADER_BYTES : _HEADER_BYTES + manifest_length])
    if expected is not None:
        assert_same_manifest(manifest, as_manifest(expected))
    offset = _HEADER_BYTES + manifest_length + (-(_HEADER_BYTES + manifest_length) % 4)
    section = view[min(offset, len(view)) :]
    count = manifest_size(manifest)
    carried = count
    if codec == "float32":
        if len(section) != count * 4:
            raise WireError(f"payload holds {len(section)} data bytes, manifest needs {count * 4}")
        values = np.frombuffer(section, dtype="<f4").astype(np.float32)
    elif codec == "float16":
        if len(section) != count * 2:
            raise WireError(f"float16 payload holds {len(section)} data bytes, manifest needs {count * 2}")
        values = halves_to_floats(np.frombuffer(section, dtype="<u2"))
    elif codec == "int8":
        values = decode_int8(section, count)
    else:
        values, carried = decode_topk(section, count)
    return DecodedWeights(kind, codec, manifest, values, carried)


def assert_same_manifest(actual: Sequence[TensorSpec], expected: Sequence[TensorSpec]) -> None:
    if len(actual) != len(expected):
        raise WireError(f"manifest has {len(actual)} tensors, expected {len(expected)}")
    for i, (a, e) in enumerate(zip(actual, expected)):
        if (a.name, a.dtype, tuple(a.shape)) != (e.name, e.dtype, tuple(e.shape)):
            raise WireError(f"tensor {i} is {_describe(a)}, expected {_describe(e)}")


def _describe(spec: TensorSpec) -> str:
    return f"{spec.name} {spec.dtype}[{'x'.join(str(d) for d in spec.shape)}]"


def _parse_manifest(raw: memoryview) -> List[TensorSpec]:
    try:
        # As JSON.parse after TextDecoder: a leading BOM is dropped, bad UTF-8 reads as U+FFFD, NaN is not JSON.
        entries = json.loads(bytes(raw).decode("utf-8-sig", errors="replace"), parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise WireError("manifest is not valid JSON") from None
    if not isinstance(entries, list):
        raise WireError("manifest is not a list of tensors")
    manifest = []
    for i, entry in enumerate(entries):
        spec = _tensor_spec(entry)
        if spec is None:
            raise WireError(
                f'manifest entry {i} is not {{name, shape, dtype: "float32"}} with whole dimensions below {MAX_DIMENSION}'
            )
        manifest.append(spec)
    # Each dimension is bounded, their product is not: a few dimensions multiply past any buffer.
    values = manifest_size(manifest)
    if values > MAX_MODEL_VALUES:
        raise WireError(f"manifest describes {values} values; a model holds at most {MAX_MODEL_VALUES}")
    return manifest


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _tensor_spec(entry: Any) -> Optional[TensorSpec]:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or entry.get("dtype") != "float32":
        return None
    shape = entry.get("shape")
    if not isinstance(shape, list) or not all(_is_dimension(d) for d in shape):
        return None
    return TensorSpec(entry["name"], tuple(int(d) for d in shape))


def _is_dimension(d: Any) -> bool:
    # JSON has one number type: 3.0 is a whole dimension, true is not a number.
    return isinstance(d, (int, float)) and not isinstance(d, bool) and float(d).is_integer() and 0 <= d < MAX_DIMENSION
