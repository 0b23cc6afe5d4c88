"""The Python client's API: `join` a federation with your own train callback, or `run_silo` on local files (what
`flock-py client` does).

    from flock_client.client import join, Trained

    def train(task):                     # task.weights: flat float32, tfjs manifest order and layouts
        weights = my_loop(task.weights, task.config, task.instructions.get("proximalMu", 0.0))
        return Trained(weights=weights, num_examples=1000, loss=0.31, accuracy=0.91)

    device = join("http://localhost:3000", "demo", train, num_examples=1000)
    device.wait()                        # until the federation finishes

A train callback may also return None and hand its result in later with `device.upload(task, trained)`.
"""

from __future__ import annotations

import os
import socket
from typing import Callable, Optional

import requests

from . import wire
from .credentials import DeviceCredentials
from .data import Examples, LocalData, describe_local_data, load_silo_data
from .local_training import LocalTrainer, backend_name, preferred_engine, uploaded_topology_from
from .session import DeviceSession, EvaluateCallback, QueryCallback, RoundTask, SessionView, TrainCallback, Trained, default_state_dir
from .wire import seed_from_text

__all__ = ["DeviceSession", "RoundTask", "SessionView", "Trained", "default_device_id", "join", "run_silo"]

SHARD_DOWNLOAD_TIMEOUT_S = 120.0
DATASET_ASK_TIMEOUT_S = 10.0
CREDENTIAL_FILE = "credential"


def join(
    server: str,
    federation: str,
    train: TrainCallback,
    *,
    num_examples: Optional[int] = None,
    evaluate: Optional[EvaluateCallback] = None,
    answer_query: Optional[QueryCallback] = None,
    device_id: Optional[str] = None,
    token: Optional[str] = None,
    state_dir: Optional[str] = None,
    backend: str = "pytorch",
    on_assigned_shard: Optional[Callable[[dict, dict], int]] = None,
    on_change: Callable[[SessionView], None] = lambda view: None,
    on_notice: Callable[[str], None] = lambda text: None,
) -> DeviceSession:
    """Starts a device in `federation` and returns it (it reconnects by itself until `close()`).

    `num_examples`: how many examples this device brings (a silo's own data); leave it out to train on the shard the
    coordinator assigns (`on_assigned_shard(assignment, auth_headers)` fetches it). `token`: the enrollment token of an
    enrollment-only federation. `answer_query(query, context, model)` answers federated-analytics queries from the
    device's examples (flock_client.queries computes the answers; None: queries are declined). `state_dir` keeps the
    device credential the coordinator returns and top-k's error feedback across restarts (default
    ~/.local/state/flock-py/<device id>). `backend`: what the dashboard shows."""
    device_id = device_id or f"py-{seed_from_text(f'{socket.gethostname()}:{os.getpid()}'):08x}"
    state_dir = state_dir or default_state_dir(device_id)
    os.makedirs(state_dir, mode=0o700, exist_ok=True)
    credentials = DeviceCredentials(token, os.path.join(state_dir, CREDENTIAL_FILE))
    session = DeviceSession(
        server,
        federation,
        device_id,
        train,
        backend=backend,
        num_examples=num_examples,
        credentials=credentials,
        evaluate=evaluate,
        answer_query=answer_query,
        state_dir=state_dir,
        on_assigned_shard=on_assigned_shard,
        on_change=on_change,
        on_notice=on_notice,
    )
    session.start()
    return session


def default_device_id(data_path: Optional[str]) -> str:
    """Stable across restarts of the same silo (host and data path), so the coordinator knows it again."""
    where = os.path.abspath(data_path) if data_path else "assigned"
    return f"silo-{seed_from_text(f'{socket.gethostname()}:{where}'):08x}"


def federation_dataset(server: str, federation: str) -> Optional[dict]:
    """What the federation trains on (so a CSV is checked against its schema before joining); None when it cannot say."""
    url = f"{server.rstrip('/')}/api/federations/{requests.utils.quote(federation, safe='')}/dataset"
    response = requests.get(url, timeout=DATASET_ASK_TIMEOUT_S)
    if not response.ok:
        return None
    dataset = response.json().get("dataset")
    return dataset if isinstance(dataset, dict) else None


def run_silo(
    server: str,
    federation: str,
    data_path: Optional[str],
    *,
    device_id: Optional[str] = None,
    token: Optional[str] = None,
    state_dir: Optional[str] = None,
    engine: str = "torch",
    log: Callable[[str], None] = print,
    dataset: Optional[dict] = None,
) -> DeviceSession:
    """A silo: trains the round's model on the examples at `data_path` (None: on the shard the coordinator assigns)."""
    device_id = device_id or default_device_id(data_path)
    local = load_silo_data(data_path, dataset, device_id) if data_path else None
    engine = preferred_engine(engine)
    trainer = LocalTrainer(local, engine, uploaded_topology_from(server), log)
    described = describe_local_data(local) if local else "training on the shard the coordinator assigns"
    log(f"device {device_id}: {described}; training with {'PyTorch' if engine == 'torch' else 'numpy'}")

    def fetch_shard(assignment: dict, headers: dict) -> int:
        url = f"{server.rstrip('/')}/{assignment['shardPath'].lstrip('/')}"
        response = requests.get(url, headers=headers, timeout=SHARD_DOWNLOAD_TIMEOUT_S)
        if not response.ok:
            raise RuntimeError(f"the shard download failed: HTTP {response.status_code} {response.reason}".strip())
        shard = wire.decode_dataset(response.content)
        trainer.data = LocalData(train=Examples(shard.x, shard.y, "the assigned shard"), test=None, num_classes=shard.num_classes)
        return len(shard.y)

    last = [""]

    def on_change(view: SessionView) -> None:
        line = describe(view)
        if line != last[0]:
            log(line)
        last[0] = line

    return join(
        server,
        federation,
        trainer.train,
        num_examples=local.train.count if local else None,
        evaluate=trainer.evaluate,
        answer_query=trainer.answer_query,
        device_id=device_id,
        token=token,
        state_dir=state_dir,
        backend=backend_name(engine),
        on_assigned_shard=None if local else fetch_shard,
        on_change=on_change,
        on_notice=log,
    )


_STATE_WORDS = {
    "idle": "not joined",
    "joining": "joining",
    "downloading-data": "downloading its data",
    "waiting-for-round": "waiting for a round",
    "training": "training",
    "uploading": "sending its update",
    "error": "stopped by an error",
}


def describe(view: SessionView) -> str:
    """One line for the person at the silo, as `flockctl client` prints it."""
    federation = f", federation {view.federation['status']} round {view.federation['round']}" if view.federation else ""
    round_ = f" round {view.round}" if view.state in ("training", "uploading") else ""
    return f"{view.connection}, {_STATE_WORDS.get(view.state, view.state)}{round_}{federation}, rounds done {view.rounds_done}"
