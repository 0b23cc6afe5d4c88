"""Flock's wire formats in numpy, byte for byte as fl-core writes them: FLKW weights and deltas (float32, float16,
int8, top-k with error feedback), the downlink delta, and FLKD dataset shards."""

from .dataset import Dataset, decode_dataset, encode_dataset
from .downlink import apply_downlink, encode_model_delta, on_downlink_grid
from .error_feedback import ErrorFeedback
from .errors import WireError
from .int8 import DEFAULT_INT8_CHUNK
from .rng import Mulberry32, seed_from_text, uplink_rng
from .topk import DEFAULT_TOPK_FRACTION, topk_count
from .weights import CODECS, MAX_MODEL_VALUES, DecodedWeights, TensorSpec, decode_weights, encode_weights

__all__ = [
    "CODECS",
    "DEFAULT_INT8_CHUNK",
    "DEFAULT_TOPK_FRACTION",
    "MAX_MODEL_VALUES",
    "Dataset",
    "DecodedWeights",
    "ErrorFeedback",
    "Mulberry32",
    "TensorSpec",
    "WireError",
    "apply_downlink",
    "decode_dataset",
    "decode_weights",
    "encode_dataset",
    "encode_model_delta",
    "encode_weights",
    "on_downlink_grid",
    "seed_from_text",
    "topk_count",
    "uplink_rng",
]
