"""`flock-py client --server URL --federation ID --data PATH`: a silo that trains on local files and reconnects on its
own, as `flockctl client` does for Node."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from datetime import datetime, timezone
from typing import Optional, Sequence

import requests

from .client import federation_dataset, run_silo
from .data import DataRefused

DATASET_RETRY_S = 2.0


def log(line: str) -> None:
    stamp = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    print(f"{stamp} {line}", flush=True)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="flock-py", description="Take part in a Flock federation from Python.")
    commands = parser.add_subparsers(dest="command", required=True)
    client = commands.add_parser(
        "client",
        help="join a federation as a device that trains on local data (a silo); reconnects on its own",
        description="Join a federation as a device that trains on local data (a silo); it reconnects on its own.",
    )
    client.add_argument("--server", required=True, help="the coordinator, e.g. http://localhost:3000")
    client.add_argument("--federation", required=True, help="the federation to join")
    client.add_argument(
        "--data",
        help="a CSV file with the federation's columns (device-data federations); else an MNIST IDX directory or a "
        "784-pixel CSV; leave it out to train on the shard the coordinator assigns",
    )
    client.add_argument("--device-id", help="this device's id (default: derived from the host name and the data path)")
    client.add_argument("--token", "--enrollment-token", dest="token", help="the enrollment token of an enrollment-only federation (its join link carries it)")
    client.add_argument(
        "--state-dir",
        help="where to keep the device credential the coordinator binds this device id to and top-k's error feedback, so "
        "a restarted client is the same device (default: ~/.local/state/flock-py/<device id>)",
    )
    client.add_argument("--engine", choices=("torch", "numpy"), default="torch", help="train with PyTorch (default, where it imports) or numpy")
    client.add_argument("--exit-when-finished", action="store_true", help="exit once the federation finished or stopped")
    args = parser.parse_args(argv)
    return run_client(args)


def run_client(args: argparse.Namespace) -> int:
    try:
        dataset = wait_for_dataset(args.server, args.federation)
        device = run_silo(
            args.server,
            args.federation,
            args.data,
            device_id=args.device_id,
            token=args.token,
            state_dir=args.state_dir,
            engine=args.engine,
            log=log,
            dataset=dataset,
        )
    except DataRefused as err:
        log(f"cannot start: {err}")
        return 2
    except Exception as err:  # a model or data the client cannot use: said, not a traceback
        log(f"cannot start: {err}")
        return 1
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.is_set():
        if args.exit_when_finished and device.wait(0):
            break
        stop.wait(0.5)
    device.close()
    return 0


def wait_for_dataset(server: str, federation: str) -> Optional[dict]:
    """The federation's dataset config; a coordinator not reachable yet is waited for (asked again every 2 s)."""
    first = True
    while True:
        try:
            return federation_dataset(server, federation)
        except requests.RequestException as err:
            if first:
                log(f"waiting for the coordinator at {server} ({type(err).__name__}); asking every {DATASET_RETRY_S:g} s until it answers")
                first = False
            time.sleep(DATASET_RETRY_S)


if __name__ == "__main__":
    sys.exit(main())
