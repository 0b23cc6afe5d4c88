"""The plain-numpy engine, for machines without PyTorch: tfjs's layouts throughout (NHWC, Dense [in, out],
Conv2D HWIO), so the weights are one flat float32 vector, the manifest's own, and each tensor a view of it."""

from typing import List, Optional

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .layers import ACTIVATIONS, Activation, Architecture, Conv2D, Dense, Dropout, Flatten, MaxPool2D, ModelRefused
from .trainer import ADAM_BETAS, ADAM_EPSILON, MOMENTUM, Trainer, softmax_cross_entropy, unflatten


def _activate(x: np.ndarray, activation: str) -> np.ndarray:
    if activation == "relu":
        return np.maximum(x, 0)
    if activation == "relu6":
        return np.clip(x, 0, 6)
    if activation == "sigmoid":
        # As tanh: exp(-x) would overflow (and warn) for very negative x.
        return np.float32(0.5) * (np.float32(1) + np.tanh(np.float32(0.5) * x))
    if activation == "tanh":
        return np.tanh(x)
    if activation == "softmax":
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    return x


def _activation_grad(dy: np.ndarray, y: np.ndarray, activation: str) -> np.ndarray:
    """The gradient through the activation, from its output `y`."""
    if activation == "relu":
        return dy * (y > 0)
    if activation == "relu6":
        return dy * ((y > 0) & (y < 6))
    if activation == "sigmoid":
        return dy * y * (1 - y)
    if activation == "tanh":
        return dy * (1 - y * y)
    if activation == "softmax":
        return y * (dy - (dy * y).sum(axis=-1, keepdims=True))
    return dy


def _windows(x: np.ndarray, kernel, strides, out_hw) -> np.ndarray:
    """A view [n, out_h, out_w, kh, kw, c] of the windows of an NHWC array."""
    n, _, _, c = x.shape
    sn, sh, sw, sc = x.strides
    return as_strided(
        x,
        shape=(n, out_hw[0], out_hw[1], kernel[0], kernel[1], c),
        strides=(sn, sh * strides[0], sw * strides[1], sh, sw, sc),
        writeable=False,
    )


def _pad(x: np.ndarray, pads, value: float = 0.0) -> np.ndarray:
    top, bottom, left, right = pads
    if not any(pads):
        return x
    return np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=value)


def _crop(x: np.ndarray, pads) -> np.ndarray:
    top, bottom, left, right = pads
    return x[:, top : x.shape[1] - bottom, left : x.shape[2] - right, :]


def _scatter_windows(d: np.ndarray, padded_shape, kernel, strides) -> np.ndarray:
    """The adjoint of _windows: sums window gradients [n, oh, ow, kh, kw, c] back into an NHWC array."""
    out = np.zeros(padded_shape, np.float32)
    _, oh, ow = d.shape[:3]
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            out[:, i : i + strides[0] * (oh - 1) + 1 : strides[0], j : j + strides[1] * (ow - 1) + 1 : strides[1], :] += d[:, :, :, i, j, :]
    return out


class NumpyTrainer(Trainer):
    engine = "numpy"
    # A convolution's unfolded windows take kernel area x channels floats per output pixel: 500 of mnist-cnn's examples
    # would take 300 MB there. Training steps go through in slices of this size too.
    predict_batch = 64

    def __init__(self, architecture: Architecture, model: str):
        super().__init__(architecture, model)
        for layer in architecture.layers:
            activation = getattr(layer, "activation", "linear")
            if activation not in ACTIVATIONS:
                raise ModelRefused(
                    f'model {model}\'s layer "{layer.name}" uses the activation "{activation}", which the numpy trainer cannot compute: '
                    "install PyTorch (apt install python3-torch) to train it"
                )
        self.values = np.zeros(self.num_values, np.float32)
        self.grads = np.zeros(self.num_values, np.float32)
        self._bind()
        self.optimizer: Optional[dict] = None
        self.anchor: Optional[np.ndarray] = None
        self.mu = 0.0
        self.random = np.random.default_rng()

    def _bind(self) -> None:
        """Each weighted layer's kernel and bias as views into the flat weights and gradients."""
        tensors, grads = unflatten(self.values, self.manifest), unflatten(self.grads, self.manifest)
        self.params: List[Optional[tuple]] = []
        k = 0
        for layer in self.architecture.layers:
            if isinstance(layer, (Dense, Conv2D)):
                n = 2 if layer.use_bias else 1
                self.params.append((tensors[k : k + n], grads[k : k + n]))
                k += n
            else:
                self.params.append(None)

    def set_weights(self, values: np.ndarray) -> None:
        self.values[:] = self._check_values(values)

    def get_weights(self) -> np.ndarray:
        return self.values.copy()

    def _forward(self, x: np.ndarray, training: bool):
        caches = []
        for layer, params in zip(self.architecture.layers, self.params):
            cache = None
            if isinstance(layer, Dense):
                (kernel, *bias), _ = params
                cache = x
                x = x @ kernel
                if bias:
                    x = x + bias[0]
                x = _activate(x, layer.activation)
            elif isinstance(layer, Conv2D):
                (kernel, *bias), _ = params
                padded = _pad(x, layer.pads)
                out_hw = ((padded.shape[1] - layer.kernel[0]) // layer.strides[0] + 1, (padded.shape[2] - layer.kernel[1]) // layer.strides[1] + 1)
                cols = _windows(padded, layer.kernel, layer.strides, out_hw).reshape(x.shape[0], out_hw[0], out_hw[1], -1)
                cache = (cols, padded.shape)
                x = cols @ kernel.reshape(-1, layer.filters)
                if bias:
                    x = x + bias[0]
                x = _activate(x, layer.activation)
            elif isinstance(layer, MaxPool2D):
                padded = _pad(x, layer.pads, -np.inf)
                out_hw = ((padded.shape[1] - layer.pool[0]) // layer.strides[0] + 1, (padded.shape[2] - layer.pool[1]) // layer.strides[1] + 1)
                win = _windows(padded, layer.pool, layer.strides, out_hw)
                win = win.reshape(win.shape[:3] + (-1, win.shape[-1]))
                arg = win.argmax(axis=3)
                cache = (arg, padded.shape)
                x = np.take_along_axis(win, arg[:, :, :, None, :], axis=3)[:, :, :, 0, :]
            elif isinstance(layer, Flatten):
                cache = x.shape
                x = x.reshape(x.shape[0], -1)
            elif isinstance(layer, Activation):
                x = _activate(x, layer.activation)
            elif isinstance(layer, Dropout) and training and layer.rate > 0:
                cache = (self.random.random(x.shape) >= layer.rate).astype(np.float32) / np.float32(1 - layer.rate)
                x = x * cache
            caches.append((cache, x))
        return x, caches

    def _backward(self, dy: np.ndarray, caches) -> None:
        first_weighted = next(i for i, p in enumerate(self.params) if p is not None)
        for i in range(len(self.architecture.layers) - 1, first_weighted - 1, -1):
            layer, params, (cache, y) = self.architecture.layers[i], self.params[i], caches[i]
            need_input_grad = i > first_weighted
            if isinstance(layer, Dense):
                (kernel, *_), (dkernel, *dbias) = params
                dy = _activation_grad(dy, y, layer.activation)
                dkernel += cache.T @ dy
                if dbias:
                    dbias[0] += dy.sum(axis=0)
                dy = dy @ kernel.T if need_input_grad else None
            elif isinstance(layer, Conv2D):
                (kernel, *_), (dkernel, *dbias) = params
                cols, padded_shape = cache
                dy = _activation_grad(dy, y, layer.activation)
                flat_dy = dy.reshape(-1, layer.filters)
                dkernel += (cols.reshape(-1, cols.shape[-1]).T @ flat_dy).reshape(dkernel.shape)
                if dbias:
                    dbias[0] += flat_dy.sum(axis=0)
                if need_input_grad:
                    dcols = (flat_dy @ kernel.reshape(-1, layer.filters).T).reshape(dy.shape[:3] + tuple(layer.kernel) + (layer.in_channels,))
                    dy = _crop(_scatter_windows(dcols, padded_shape, layer.kernel, layer.strides), layer.pads)
            elif isinstance(layer, MaxPool2D):
                arg, padded_shape = cache
                ph, pw = layer.pool
                routed = np.zeros(dy.shape[:3] + (ph * pw, dy.shape[-1]), np.float32)
                np.put_along_axis(routed, arg[:, :, :, None, :], dy[:, :, :, None, :], axis=3)
                routed = routed.reshape(dy.shape[:3] + (ph, pw, dy.shape[-1]))
                dy = _crop(_scatter_windows(routed, padded_shape, layer.pool, layer.strides), layer.pads)
            elif isinstance(layer, Flatten):
                dy = dy.reshape(cache)
            elif isinstance(layer, Activation):
                dy = _activation_grad(dy, y, layer.activation)
            elif isinstance(layer, Dropout) and cache is not None:
                dy = dy * cache

    def _logits(self, x: np.ndarray) -> np.ndarray:
        return self._forward(x, False)[0].astype(np.float32)

    def _begin(self, config: dict, proximal_mu: float) -> None:
        kind = config["optimizer"]
        self.optimizer = {"kind": kind, "lr": np.float32(config["learningRate"]), "t": 0}
        if kind == "momentum":
            self.optimizer["velocity"] = np.zeros_like(self.values)
        elif kind == "adam":
            self.optimizer["m"] = np.zeros_like(self.values)
            self.optimizer["v"] = np.zeros_like(self.values)
        self.mu = proximal_mu
        self.anchor = self.values.copy() if proximal_mu > 0 else None

    def _step(self, x: np.ndarray, labels: np.ndarray) -> float:
        # A large batch goes through in slices of predict_batch, their gradients summed: the same step in bounded memory.
        n = len(labels)
        self.grads[:] = 0
        loss = 0.0
        for start in range(0, n, self.predict_batch):
            part, part_labels = x[start : start + self.predict_batch], labels[start : start + self.predict_batch]
            logits, caches = self._forward(part, True)
            loss += float(softmax_cross_entropy(logits, part_labels).sum()) / n
            z = logits - logits.max(axis=1, keepdims=True)
            probs = np.exp(z)
            probs /= probs.sum(axis=1, keepdims=True)
            probs[np.arange(len(part_labels)), part_labels] -= 1
            self._backward((probs / np.float32(n)).astype(np.float32), caches)
        if self.anchor is not None:
            away = self.values - self.anchor
            loss += float(self.mu / 2 * np.dot(away.astype(np.float64), away))
            self.grads += np.float32(self.mu) * away
        self._apply()
        return loss

    def _apply(self) -> None:
        o, g, w = self.optimizer, self.grads, self.values
        lr = o["lr"]
        if o["kind"] == "sgd":
            w -= lr * g
        elif o["kind"] == "momentum":
            # fl-core's velocity holds learning-rate-scaled gradients: v = 0.9 v + lr g; w -= v.
            v = o["velocity"]
            v *= np.float32(MOMENTUM)
            v += lr * g
            w -= v
        else:
            b1, b2 = ADAM_BETAS
            o["t"] += 1
            m, v = o["m"], o["v"]
            m *= np.float32(b1)
            m += np.float32(1 - b1) * g
            v *= np.float32(b2)
            v += np.float32(1 - b2) * g * g
            m_hat = m / np.float32(1 - b1 ** o["t"])
            v_hat = v / np.float32(1 - b2 ** o["t"])
            w -= lr * m_hat / (np.sqrt(v_hat) + np.float32(ADAM_EPSILON))

    def _end(self) -> None:
        self.optimizer = None
        self.anchor = None
