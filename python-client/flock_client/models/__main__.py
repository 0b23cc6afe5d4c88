"""`python3 -m flock_client.models [model ...] [--batch 32] [--seconds 5]`: samples per second of each engine's training."""

import argparse
from typing import Optional, Sequence

from .bench import bench_samples_per_second
from .build import torch_available


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(description="Samples per second of one-epoch SGD on random MNIST-shaped data, per engine.")
    parser.add_argument("models", nargs="*", default=["mnist-mlp", "mnist-cnn"])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args(argv)
    engines = ["torch", "numpy"] if torch_available() else ["numpy"]
    print(f"model            engine  samples/s (batch {args.batch}, CPU)")
    for model in args.models:
        for engine in engines:
            rate = bench_samples_per_second(model, args.batch, args.seconds, engine)
            print(f"{model:<16} {engine:<7} {rate:,.0f}")


main()
