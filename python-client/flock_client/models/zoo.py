"""The zoo's models (packages/fl-core/src/models/zoo.ts) as layer lists: same layers, names and order."""

from typing import Sequence

from .layers import Architecture, Builder, ModelRefused

ZOO_MODELS = ("mnist-mlp", "mnist-cnn", "mnist-cnn-small", "tabular-mlp")


def _mlp(hidden1: int, hidden2: int):
    def build(b: Builder, num_classes: int) -> Builder:
        return b.flatten("flatten").dense("fc1", hidden1, "relu").dense("fc2", hidden2, "relu").dense("logits", num_classes)

    return build


def _cnn(kernel: int, filters: Sequence[int], padding: str, hidden: Sequence[int]):
    def build(b: Builder, num_classes: int) -> Builder:
        for i, n in enumerate(filters):
            b.conv(f"conv{i + 1}", n, (kernel, kernel), padding, "relu").max_pool(f"pool{i + 1}", (2, 2))
        b.flatten("flatten")
        for i, units in enumerate(hidden):
            b.dense(f"fc{i + 1}", units, "relu")
        return b.dense("logits", num_classes)

    return build


_BUILDERS = {
    "mnist-mlp": _mlp(200, 200),
    "mnist-cnn": _cnn(5, (32, 64), "same", (512,)),
    "mnist-cnn-small": _cnn(3, (8, 16), "valid", ()),
    "tabular-mlp": _mlp(64, 32),
}


def zoo_architecture(name: str, input_shape: Sequence[int], num_classes: int) -> Architecture:
    """The zoo model `name` sized for examples of `input_shape` (height, width, channels) and `num_classes`."""
    build = _BUILDERS.get(name)
    if build is None:
        raise ModelRefused(f'"{name}" is not a zoo model (the zoo has {", ".join(ZOO_MODELS)}); an uploaded model needs its topology')
    return build(Builder(tuple(input_shape), name), int(num_classes)).build()
