"""Which engine runs a model, built from a zoo name or an uploaded topology and checked against a manifest."""

from typing import Any, Mapping, Optional, Sequence

from .layers import Architecture, ModelRefused, check_manifest
from .topology import topology_architecture
from .trainer import Trainer
from .zoo import ZOO_MODELS, zoo_architecture

MNIST_INPUT = (28, 28, 1)


def torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def architecture_of(
    model: str, input_shape: Sequence[int] = MNIST_INPUT, num_classes: int = 10, topology: Any = None, manifest: Optional[Sequence[dict]] = None
) -> Architecture:
    """The layers of a zoo model, or of an uploaded model from its topology (model.json's modelTopology)."""
    if model in ZOO_MODELS:
        return zoo_architecture(model, input_shape, num_classes)
    if not str(model).startswith("uploaded-"):
        raise ModelRefused(f'"{model}" is neither a zoo model ({", ".join(ZOO_MODELS)}) nor an uploaded model id (uploaded-0123456789ab)')
    architecture = topology_architecture(model, topology, input_shape, manifest)
    if architecture.output_shape != (num_classes,):
        raise ModelRefused(
            f"model {model} gives [batch, {', '.join(map(str, architecture.output_shape))}]; the data has {num_classes} classes: "
            "train it on data of the federation's shape"
        )
    return architecture


def build_model(
    model: str,
    manifest: Optional[Sequence[Any]] = None,
    input_shape: Sequence[int] = MNIST_INPUT,
    num_classes: int = 10,
    topology: Any = None,
    prefer: str = "torch",
) -> Trainer:
    """A trainer for `model` on examples of `input_shape` (height, width, channels) and `num_classes`.

    `manifest` (the FLKW header's tensors) must be the model's own: a tensor the model lacks, or one of
    another shape, is refused by name. `prefer='torch'` uses PyTorch where it imports, else numpy.
    Raises ModelRefused with a sentence for people.
    """
    tensors = [_as_dict(t) for t in manifest] if manifest is not None else None
    architecture = architecture_of(model, input_shape, num_classes, topology, tensors)
    check_manifest(architecture, tensors, model)
    if prefer not in ("torch", "numpy"):
        raise ValueError(f'prefer is "torch" or "numpy", not "{prefer}"')
    if prefer == "torch" and torch_available():
        from .torch_engine import TorchTrainer

        return TorchTrainer(architecture, model)
    from .numpy_engine import NumpyTrainer

    return NumpyTrainer(architecture, model)


def _as_dict(tensor: Any) -> dict:
    """A manifest entry as a dict: wire's TensorSpec reads like one, plain dicts are one."""
    dtype = tensor.get("dtype", "float32") if isinstance(tensor, Mapping) else tensor["dtype"]
    return {"name": tensor["name"], "shape": list(tensor["shape"]), "dtype": dtype}

