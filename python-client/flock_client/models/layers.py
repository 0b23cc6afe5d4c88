"""The layers Flock's Python client can run, as plain data: what both engines (torch, numpy) build from.

A model is a list of layers in tfjs's order, each knowing its input shape, so the weights manifest
(tensor names, shapes and order, tfjs layouts) follows from the list exactly as tfjs writes it.
Shapes are per example, channels last as tfjs has them: (height, width, channels) or (features,).
"""

from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple, Union

Shape = Tuple[int, ...]

#: Activations both engines compute; torch adds TORCH_ONLY_ACTIVATIONS.
ACTIVATIONS = ("linear", "relu", "relu6", "sigmoid", "tanh", "softmax")
TORCH_ONLY_ACTIVATIONS = ("elu", "selu", "softplus", "softsign")


class ModelRefused(ValueError):
    """A model (or its weights manifest) this client cannot run; the message says why and what to do."""


@dataclass
class Dense:
    name: str
    units: int
    activation: str
    use_bias: bool
    in_features: int


@dataclass
class Conv2D:
    name: str
    filters: int
    kernel: Tuple[int, int]
    strides: Tuple[int, int]
    padding: str
    activation: str
    use_bias: bool
    in_channels: int
    #: Zero padding (top, bottom, left, right) that tfjs's `padding` amounts to for this input.
    pads: Tuple[int, int, int, int] = (0, 0, 0, 0)


@dataclass
class MaxPool2D:
    name: str
    pool: Tuple[int, int]
    strides: Tuple[int, int]
    #: Padding (top, bottom, left, right) filled with -inf, as tfjs's 'same' pooling ignores it.
    pads: Tuple[int, int, int, int] = (0, 0, 0, 0)


@dataclass
class Flatten:
    name: str


@dataclass
class Activation:
    name: str
    activation: str


@dataclass
class Dropout:
    name: str
    rate: float


Layer = Union[Dense, Conv2D, MaxPool2D, Flatten, Activation, Dropout]


@dataclass
class Architecture:
    """A model's layers, the per-example shape it takes and what each engine needs to know."""

    layers: List[Layer]
    input_shape: Shape
    output_shape: Shape = field(default=())

    def manifest(self) -> List[dict]:
        """The weights manifest tfjs writes for this model: kernel then bias per layer, tfjs layouts."""
        out = []
        for layer in self.layers:
            if isinstance(layer, Dense):
                out.append(_tensor(f"{layer.name}/kernel", [layer.in_features, layer.units]))
                if layer.use_bias:
                    out.append(_tensor(f"{layer.name}/bias", [layer.units]))
            elif isinstance(layer, Conv2D):
                out.append(_tensor(f"{layer.name}/kernel", [*layer.kernel, layer.in_channels, layer.filters]))
                if layer.use_bias:
                    out.append(_tensor(f"{layer.name}/bias", [layer.filters]))
        return out


def _tensor(name: str, shape: List[int]) -> dict:
    return {"name": name, "shape": shape, "dtype": "float32"}


def same_padding(size: int, kernel: int, stride: int) -> Tuple[int, int, int]:
    """tfjs's 'same': ceil(size / stride) outputs, the padding split with the extra one after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return out, total // 2, total - total // 2


def spatial(size: Sequence[int], kernel: Tuple[int, int], strides: Tuple[int, int], padding: str) -> Tuple[Tuple[int, int], Tuple[int, int, int, int]]:
    """Output height and width, and the padding (top, bottom, left, right), of a window sliding over `size`."""
    if padding == "same":
        h, top, bottom = same_padding(size[0], kernel[0], strides[0])
        w, left, right = same_padding(size[1], kernel[1], strides[1])
        return (h, w), (top, bottom, left, right)
    h = (size[0] - kernel[0]) // strides[0] + 1
    w = (size[1] - kernel[1]) // strides[1] + 1
    return (h, w), (0, 0, 0, 0)


def shape_text(shape: Shape) -> str:
    return "[batch, " + ", ".join(str(d) for d in shape) + "]"


def check_manifest(architecture: Architecture, manifest: Optional[Sequence[dict]], model: str) -> None:
    """Refuses a manifest that is not the model's own, naming the first tensor that differs."""
    if manifest is None:
        return
    want = architecture.manifest()
    for i, given in enumerate(manifest):
        name = given.get("name")
        shape = list(given.get("shape", []))
        if i >= len(want):
            raise ModelRefused(
                f'the federation\'s weights hold the tensor "{name}" {shape}, which model {model} does not have '
                f"(it has {len(want)} tensors): check that the client runs the federation's model"
            )
        if name != want[i]["name"] or shape != want[i]["shape"]:
            raise ModelRefused(
                f'the federation\'s weights hold the tensor "{name}" {shape} where model {model} has '
                f'"{want[i]["name"]}" {want[i]["shape"]}: check that the client runs the federation\'s model on data of the federation\'s shape'
            )
        if given.get("dtype", "float32") != "float32":
            raise ModelRefused(f'the tensor "{name}" is {given.get("dtype")}; Flock trains float32 weights only')
    if len(manifest) < len(want):
        missing = want[len(manifest)]
        raise ModelRefused(
            f'the federation\'s weights lack the tensor "{missing["name"]}" {missing["shape"]} of model {model}: '
            "check that the client runs the federation's model"
        )


class Builder:
    """Appends layers in order, tracking the per-example shape so each layer knows its input."""

    def __init__(self, input_shape: Shape, model: str):
        self.input_shape = tuple(input_shape)
        self.shape: Shape = self.input_shape
        self.layers: List[Layer] = []
        self.model = model

    def _refuse(self, name: str, kind: str, why: str) -> ModelRefused:
        return ModelRefused(f'model {self.model} cannot run in the Python client: its layer "{name}" ({kind}) {why}')

    def _activation(self, name: str, kind: str, activation: Optional[str]) -> str:
        activation = activation or "linear"
        if activation not in ACTIVATIONS + TORCH_ONLY_ACTIVATIONS:
            supported = ", ".join(ACTIVATIONS + TORCH_ONLY_ACTIVATIONS)
            raise self._refuse(name, kind, f'uses the activation "{activation}"; the client knows {supported}')
        return activation

    def dense(self, name: str, units: int, activation: Optional[str] = "linear", use_bias: bool = True) -> "Builder":
        if len(self.shape) != 1:
            raise self._refuse(name, "Dense", f"takes {shape_text(self.shape)}; the client runs Dense layers on flat rows only (add a Flatten before it)")
        self.layers.append(Dense(name, int(units), self._activation(name, "Dense", activation), bool(use_bias), self.shape[0]))
        self.shape = (int(units),)
        return self

    def conv(
        self,
        name: str,
        filters: int,
        kernel: Sequence[int],
        padding: str = "valid",
        activation: Optional[str] = "linear",
        use_bias: bool = True,
        strides: Sequence[int] = (1, 1),
    ) -> "Builder":
        if len(self.shape) != 3:
            raise self._refuse(name, "Conv2D", f"takes {shape_text(self.shape)}; a Conv2D needs images (height, width, channels)")
        if padding not in ("same", "valid"):
            raise self._refuse(name, "Conv2D", f'uses padding "{padding}"; the client knows "same" and "valid"')
        k, s = _pair(kernel), _pair(strides)
        (h, w), pads = spatial(self.shape, k, s, padding)
        if h < 1 or w < 1:
            raise self._refuse(name, "Conv2D", f"has a {k[0]}x{k[1]} kernel, larger than its {self.shape[0]}x{self.shape[1]} input")
        self.layers.append(Conv2D(name, int(filters), k, s, padding, self._activation(name, "Conv2D", activation), bool(use_bias), self.shape[2], pads))
        self.shape = (h, w, int(filters))
        return self

    def max_pool(self, name: str, pool: Sequence[int] = (2, 2), strides: Optional[Sequence[int]] = None, padding: str = "valid") -> "Builder":
        if len(self.shape) != 3:
            raise self._refuse(name, "MaxPooling2D", f"takes {shape_text(self.shape)}; pooling needs images (height, width, channels)")
        if padding not in ("same", "valid"):
            raise self._refuse(name, "MaxPooling2D", f'uses padding "{padding}"; the client knows "same" and "valid"')
        p = _pair(pool)
        s = _pair(strides) if strides else p
        (h, w), pads = spatial(self.shape, p, s, padding)
        if h < 1 or w < 1:
            raise self._refuse(name, "MaxPooling2D", f"pools {p[0]}x{p[1]} over a {self.shape[0]}x{self.shape[1]} input")
        self.layers.append(MaxPool2D(name, p, s, pads))
        self.shape = (h, w, self.shape[2])
        return self

    def flatten(self, name: str) -> "Builder":
        self.layers.append(Flatten(name))
        size = 1
        for d in self.shape:
            size *= d
        self.shape = (size,)
        return self

    def activation(self, name: str, activation: str) -> "Builder":
        self.layers.append(Activation(name, self._activation(name, "Activation", activation)))
        return self

    def dropout(self, name: str, rate: float) -> "Builder":
        self.layers.append(Dropout(name, float(rate)))
        return self

    def build(self) -> Architecture:
        return Architecture(self.layers, self.input_shape, self.shape)


def _pair(value: Union[int, Sequence[int]]) -> Tuple[int, int]:
    if isinstance(value, int):
        return (value, value)
    a, b = value
    return (int(a), int(b))
