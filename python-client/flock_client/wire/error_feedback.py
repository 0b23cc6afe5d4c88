"""Error feedback for a lossy uplink codec (fl-core's codec/errorFeedback.ts): what a round's payload did not carry is
kept and added to the next round's delta, so nothing is lost, only delayed. The residual lives in a file per federation
and device, so a client that restarts still sends what top-k held back."""

from __future__ import annotations

import hashlib
import logging
import os
import re
from pathlib import Path
from typing import Any, List, Optional, Union

import numpy as np

from .errors import WireError
from .int8 import DEFAULT_INT8_CHUNK
from .rng import RandomSource
from .weights import ManifestLike, TensorSpec, as_manifest, decode_weights, encode_weights

log = logging.getLogger("flock_client")


class ErrorFeedback:
    """The residual of one device in one federation, kept in `path` (None: in memory only). After every encode,
    sent + residual = every delta given so far (to float rounding)."""

    def __init__(self, path: Union[str, os.PathLike, None]) -> None:
        self.path = Path(path) if path is not None else None
        self._manifest: List[TensorSpec] = []
        self._residual = np.zeros(0, dtype=np.float32)
        if self.path is not None and self.path.exists():
            try:
                saved = decode_weights(self.path.read_bytes())
            except (OSError, WireError) as error:
                log.warning("The error-feedback residual in %s cannot be read (%s); starting with none.", self.path, error)
            else:
                self._manifest, self._residual = saved.manifest, saved.values

    @classmethod
    def for_device(cls, state_dir: Union[str, os.PathLike], federation_id: Optional[str], shard_id: str) -> "ErrorFeedback":
        """The residual file of `shard_id` in `federation_id` under `state_dir`, named so people can tell whose it is."""
        key = f"{federation_id or ''}/{shard_id}"
        readable = re.sub(r"[^A-Za-z0-9_.-]+", "_", key).strip("._")[:64]
        digest = hashlib.sha256(key.encode()).hexdigest()[:12]
        return cls(Path(state_dir) / f"residual-{readable}-{digest}.flkw")

    @property
    def residual(self) -> np.ndarray:
        """What has not been sent yet (empty before the first encode)."""
        return self._residual

    def encode(
        self,
        manifest: ManifestLike,
        delta: Any,
        *,
        codec: str,
        topk_fraction: Optional[float] = None,
        int8_chunk: int = DEFAULT_INT8_CHUNK,
        rng: Optional[RandomSource] = None,
    ) -> bytes:
        """Encodes delta + residual and keeps (and saves) what the payload does not carry. A residual that turns
        non-finite (a diverged delta) is dropped rather than added to every later round."""
        manifest = as_manifest(manifest)
        delta = np.ascontiguousarray(delta, dtype=np.float32).ravel()
        # A residual of another model (its manifest differs) does not apply: start afresh.
        residual = self._residual if self._manifest == manifest else np.zeros(delta.size, dtype=np.float32)
        if residual.size != delta.size:
            raise WireError(f"delta has {delta.size} values, the manifest describes {residual.size}")
        compensated = delta + residual
        payload = encode_weights(
            manifest, compensated, codec=codec, kind="delta", topk_fraction=topk_fraction, int8_chunk=int8_chunk, rng=rng
        )
        # What the coordinator will read, exactly: decoding is the definition of "sent".
        with np.errstate(invalid="ignore"):
            rest = compensated - decode_weights(payload).values
        self._manifest = manifest
        self._residual = rest if np.isfinite(rest).all() else np.zeros_like(rest)
        self._save()
        return payload

    def reset(self) -> None:
        self._residual = np.zeros_like(self._residual)
        self._save()

    def _save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(self.path.name + ".partial")
        partial.write_bytes(encode_weights(self._manifest, self._residual, codec="float32", kind="delta"))
        # A crash mid-write leaves the old residual, never half of one.
        os.replace(partial, self.path)
