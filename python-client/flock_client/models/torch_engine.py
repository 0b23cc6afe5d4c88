"""The PyTorch engine: torch's Linear/Conv2d layouts inside, tfjs's manifest layouts at the edges.

Images run NCHW inside (torch's native layout); a Flatten turns them back to NHWC before flattening,
as tfjs flattens, so the Dense kernel after it takes the tfjs weights unpermuted.
"""

from typing import Callable, List

import numpy as np
import torch
import torch.nn.functional as F

from .layers import Activation, Architecture, Conv2D, Dense, Dropout, Flatten, MaxPool2D
from .trainer import ADAM_BETAS, ADAM_EPSILON, MOMENTUM, Trainer

_ACTIVATIONS = {
    "linear": lambda x, dim: x,
    "relu": lambda x, dim: F.relu(x),
    "relu6": lambda x, dim: F.hardtanh(x, 0.0, 6.0),
    "sigmoid": lambda x, dim: torch.sigmoid(x),
    "tanh": lambda x, dim: torch.tanh(x),
    "softmax": lambda x, dim: F.softmax(x, dim=dim),
    "elu": lambda x, dim: F.elu(x),
    "selu": lambda x, dim: F.selu(x),
    "softplus": lambda x, dim: F.softplus(x),
    "softsign": lambda x, dim: F.softsign(x),
}


def _activate(x: torch.Tensor, activation: str) -> torch.Tensor:
    # tfjs applies softmax over the last axis: channels, which is axis 1 of an NCHW tensor.
    return _ACTIVATIONS[activation](x, 1 if x.dim() == 4 else -1)


class _Weighted:
    """A Dense or Conv2D layer's torch parameters, and how they map to tfjs's tensors."""

    def __init__(self, layer):
        self.layer = layer
        if isinstance(layer, Dense):
            self.kernel = torch.zeros(layer.units, layer.in_features, requires_grad=True)
        else:
            self.kernel = torch.zeros(layer.filters, layer.in_channels, *layer.kernel, requires_grad=True)
        self.bias = torch.zeros(self.kernel.shape[0], requires_grad=True) if layer.use_bias else None

    def params(self) -> List[torch.Tensor]:
        return [self.kernel] + ([self.bias] if self.bias is not None else [])

    def to_torch(self, kernel: np.ndarray) -> np.ndarray:
        # Dense [in, out] -> [out, in]; Conv2D HWIO -> OIHW.
        return kernel.T if isinstance(self.layer, Dense) else kernel.transpose(3, 2, 0, 1)

    def to_tfjs(self, kernel: np.ndarray) -> np.ndarray:
        return kernel.T if isinstance(self.layer, Dense) else kernel.transpose(2, 3, 1, 0)


# Debian's torch links the generic (reference) BLAS, which its Linear uses; its oneDNN convolutions are several
# times faster, so there a Dense runs as a 1x1 convolution of the same weights.
_DENSE_AS_CONV = "BLAS_INFO=generic" in torch.__config__.show() and torch.backends.mkldnn.is_available()


def _dense(x: torch.Tensor, kernel: torch.Tensor, bias) -> torch.Tensor:
    if not _DENSE_AS_CONV:
        return F.linear(x, kernel, bias)
    return F.conv2d(x[:, :, None, None], kernel[:, :, None, None], bias).flatten(1)


def _forward_step(layer, weighted) -> Callable[[torch.Tensor, bool], torch.Tensor]:
    if isinstance(layer, Dense):
        return lambda x, training: _activate(_dense(x, weighted.kernel, weighted.bias), layer.activation)
    if isinstance(layer, Conv2D):
        top, bottom, left, right = layer.pads
        symmetric = top == bottom and left == right

        def conv(x, training):
            if not symmetric:
                x = F.pad(x, (left, right, top, bottom))
            y = F.conv2d(x, weighted.kernel, weighted.bias, stride=layer.strides, padding=(top, left) if symmetric else 0)
            return _activate(y, layer.activation)

        return conv
    if isinstance(layer, MaxPool2D):
        top, bottom, left, right = layer.pads

        def pool(x, training):
            if any(layer.pads):
                x = F.pad(x, (left, right, top, bottom), value=float("-inf"))
            return F.max_pool2d(x, layer.pool, layer.strides)

        return pool
    if isinstance(layer, Flatten):
        return lambda x, training: (x.permute(0, 2, 3, 1) if x.dim() == 4 else x).reshape(x.shape[0], -1)
    if isinstance(layer, Activation):
        return lambda x, training: _activate(x, layer.activation)
    if isinstance(layer, Dropout):
        return lambda x, training: F.dropout(x, layer.rate, training)
    raise TypeError(f"no torch step for {layer!r}")


class TorchTrainer(Trainer):
    engine = "torch"

    def __init__(self, architecture: Architecture, model: str):
        super().__init__(architecture, model)
        self.weighted: List[_Weighted] = []
        self.steps = []
        for layer in architecture.layers:
            weighted = None
            if isinstance(layer, (Dense, Conv2D)):
                weighted = _Weighted(layer)
                self.weighted.append(weighted)
            self.steps.append(_forward_step(layer, weighted))
        self.params = [p for w in self.weighted for p in w.params()]
        self.images = len(architecture.input_shape) == 3
        self.optimizer = None
        self.anchors = None
        self.mu = 0.0

    def forward(self, x: torch.Tensor, training: bool) -> torch.Tensor:
        """Logits of NHWC (or flat) float32 inputs."""
        if self.images:
            x = x.permute(0, 3, 1, 2)
        for step in self.steps:
            x = step(x, training)
        return x

    def set_weights(self, values: np.ndarray) -> None:
        values = self._check_values(values)
        offset = 0
        with torch.no_grad():
            for w in self.weighted:
                for i, p in enumerate(w.params()):
                    tf_shape = (p.shape[2], p.shape[3], p.shape[1], p.shape[0]) if p.dim() == 4 else tuple(reversed(p.shape))
                    size = p.numel()
                    part = values[offset : offset + size].reshape(tf_shape)
                    p.copy_(torch.from_numpy(np.ascontiguousarray(w.to_torch(part) if i == 0 else part)))
                    offset += size

    def get_weights(self) -> np.ndarray:
        parts = []
        for w in self.weighted:
            for i, p in enumerate(w.params()):
                value = p.detach().numpy()
                parts.append((w.to_tfjs(value) if i == 0 else value).ravel())
        return np.concatenate(parts).astype(np.float32) if parts else np.zeros(0, np.float32)

    def _logits(self, x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return self.forward(torch.from_numpy(x), False).numpy().astype(np.float32)

    def _begin(self, config: dict, proximal_mu: float) -> None:
        lr = float(config["learningRate"])
        kind = config["optimizer"]
        if kind == "adam":
            self.optimizer = torch.optim.Adam(self.params, lr=lr, betas=ADAM_BETAS, eps=ADAM_EPSILON)
        else:
            self.optimizer = torch.optim.SGD(self.params, lr=lr, momentum=MOMENTUM if kind == "momentum" else 0.0)
        self.mu = proximal_mu
        self.anchors = [p.detach().clone() for p in self.params] if proximal_mu > 0 else None

    def _step(self, x: np.ndarray, labels: np.ndarray) -> float:
        self.optimizer.zero_grad(set_to_none=True)
        logits = self.forward(torch.from_numpy(np.ascontiguousarray(x)), True)
        loss = F.cross_entropy(logits, torch.from_numpy(labels))
        if self.anchors is not None:
            loss = loss + (self.mu / 2) * sum(torch.sum((p - a) ** 2) for p, a in zip(self.params, self.anchors))
        loss.backward()
        self.optimizer.step()
        return float(loss.detach())

    def _end(self) -> None:
        self.optimizer = None
        self.anchors = None
