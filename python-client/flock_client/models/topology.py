"""Uploaded models: a tfjs Sequential topology (model.json's modelTopology), or a functional one whose layers form one
chain, mapped to the client's layers."""

from typing import Any, Optional, Sequence

from .layers import Architecture, Builder, ModelRefused, shape_text

#: Layers that only describe the input, or change nothing the client computes.
_PASS_THROUGH = ("InputLayer",)
#: tf.model()'s class name, and Keras's: runnable when its layers form one chain, as a Sequential model's do.
_FUNCTIONAL = ("Model", "Functional")


def topology_architecture(model: str, topology: Any, input_shape: Optional[Sequence[int]] = None, manifest: Optional[Sequence[dict]] = None) -> Architecture:
    """Maps `topology` (Sequential, or functional as one chain); refuses, naming the layer (and its tensors in `manifest`), whatever the client cannot run."""
    if not isinstance(topology, dict):
        raise ModelRefused(f"model {model} came without its topology: fetch model.json from the coordinator's /api/models/{model}/model.json")
    kind = topology.get("class_name")
    config = topology.get("config")
    if kind not in ("Sequential",) + _FUNCTIONAL:
        raise ModelRefused(f'model {model} is a tfjs "{kind}" model; the Python client runs Sequential models (and functional ones that are one chain of layers): upload it as one or train it in a browser tab')
    layers = config.get("layers", []) if isinstance(config, dict) else config
    if not isinstance(layers, list) or not layers:
        raise ModelRefused(f"model {model}'s topology lists no layers: upload the model.json that model.save() writes")
    if kind in _FUNCTIONAL:
        _check_chain(model, layers, config.get("output_layers"))
    declared = _declared_input(layers)
    shape = tuple(declared or input_shape or ())
    if not shape:
        raise ModelRefused(f"model {model}'s first layer declares no input shape: build it with inputShape on its first layer")
    if declared and input_shape and tuple(declared) != tuple(input_shape):
        raise ModelRefused(
            f"model {model} takes {shape_text(tuple(declared))}; the data here is {shape_text(tuple(input_shape))}: train it on data of the federation's shape"
        )
    b = Builder(shape, model)
    for layer in layers:
        _add(b, layer.get("class_name"), layer.get("config") or {}, manifest or [])
    return b.build()


def _check_chain(model: str, layers: list, outputs: Any) -> None:
    """Refuses a functional model unless each layer takes the previous one's only output and the last is the output."""
    for previous, layer in zip(layers, layers[1:]):
        nodes = layer.get("inbound_nodes")
        source = nodes[0][0][0] if isinstance(nodes, list) and len(nodes) == 1 and isinstance(nodes[0], list) and len(nodes[0]) == 1 else None
        if source != previous.get("name"):
            raise ModelRefused(
                f'model {model} cannot run in the Python client: its layer "{layer.get("name")}" does not simply take the output of the layer '
                f'before it ("{previous.get("name")}"); the client runs models whose layers form one chain: train this model in a browser tab'
            )
    last = layers[-1].get("name")
    if not isinstance(outputs, list) or len(outputs) != 1 or outputs[0][0] != last:
        raise ModelRefused(f'model {model} cannot run in the Python client: its output is not its last layer "{last}" alone; the client runs models with one output')


def _declared_input(layers: list) -> Optional[Sequence[int]]:
    first = layers[0].get("config") or {}
    batch_shape = first.get("batch_input_shape") or first.get("batch_shape")
    return tuple(int(d) for d in batch_shape[1:]) if batch_shape else None


def _add(b: Builder, kind: str, c: dict, manifest: Sequence[dict]) -> None:
    name = c.get("name", kind)
    if kind in _PASS_THROUGH:
        return
    if c.get("trainable") is False:
        raise ModelRefused(f'model {b.model} cannot run in the Python client: its layer "{name}" ({kind}) is frozen (trainable: false); Flock trains every layer')
    if c.get("data_format", "channels_last") != "channels_last":
        raise ModelRefused(f'model {b.model} cannot run in the Python client: its layer "{name}" ({kind}) is channels_first; Flock\'s data is channels_last')
    if kind == "Dense":
        b.dense(name, c["units"], c.get("activation"), c.get("use_bias", True))
    elif kind == "Conv2D":
        if any(d != 1 for d in _list(c.get("dilation_rate", 1))):
            raise ModelRefused(f'model {b.model} cannot run in the Python client: its layer "{name}" (Conv2D) is dilated; the client runs dilation 1 only')
        b.conv(name, c["filters"], c["kernel_size"], c.get("padding", "valid"), c.get("activation"), c.get("use_bias", True), c.get("strides", (1, 1)))
    elif kind == "MaxPooling2D":
        b.max_pool(name, c.get("pool_size", (2, 2)), c.get("strides"), c.get("padding", "valid"))
    elif kind == "Flatten":
        b.flatten(name)
    elif kind == "Activation":
        b.activation(name, c.get("activation"))
    elif kind == "Dropout":
        b.dropout(name, c.get("rate", 0.0))
    else:
        tensors = [t["name"] for t in manifest if t["name"].startswith(f"{name}/")]
        holding = f' (it holds the tensors {", ".join(tensors)})' if tensors else ""
        raise ModelRefused(
            f'model {b.model} cannot run in the Python client: its layer "{name}" is a {kind}{holding}, which the client cannot map '
            "(it maps Dense, Conv2D, MaxPooling2D, Flatten, Dropout and Activation): train this model in a browser tab, or upload one built from those layers"
        )


def _list(value: Any) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]
