"""Flock's models in Python: the zoo's and uploaded tfjs models (Sequential, or chains of layers), trained with PyTorch or plain numpy.

Weights go in and out as one flat float32 vector in the order and layouts of the tfjs weights manifest
(what FLKW payloads carry), so a Python silo and a browser tab train the same model together.
"""

from .bench import bench_samples_per_second
from .build import MNIST_INPUT, architecture_of, build_model, torch_available
from .layers import ModelRefused
from .trainer import Trainer
from .zoo import ZOO_MODELS

__all__ = ["MNIST_INPUT", "ZOO_MODELS", "ModelRefused", "Trainer", "architecture_of", "bench_samples_per_second", "build_model", "torch_available"]
