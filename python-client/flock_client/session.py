"""One device's side of the protocol, as fl-core's DeviceSession: hello on every (re)connect, then round:start -> train ->
update, with the device's state reported as it changes.

Rounds survive the link: training goes on while disconnected and its update is sent after the next hello (a chunked
upload goes on from the last byte the coordinator acknowledged); a coordinator that asks for the same round and model
again gets the update already computed. Everything runs on one thread that takes what the coordinator sends from a
queue in arrival order; the link itself lives on python-socketio's threads.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import numpy as np

from . import queries, wire
from .connection import Connection, Undelivered
from .credentials import DeviceCredentials
from .training import privatize_delta
from .transfer import HELLO_TIMEOUT_S, ModelDownloader, content_hash, upload_update

PROTOCOL_VERSION = 1
#: A refused hello is asked again on the same connection after 5 s, 10 s, 20 s, ... at most a minute.
HELLO_RETRY_S = 5.0
HELLO_RETRY_MAX_S = 60.0
FINAL_EVALUATION_ACK_S = 30.0
#: Global models kept per federation, as the base of a downlink delta (the TS trainer keeps two).
HELD_MODELS = 2
#: Queries whose numbers are kept (sent again as they were when asked again) and listed, as fl-core's session.
MAX_ANSWERED_QUERIES = 50


@dataclass
class RoundTask:
    """A round to train: the global model as flat float32 values in the manifest's order and tfjs layouts."""

    federation_id: str
    round: int
    model: str
    manifest: list
    weights: np.ndarray
    #: round:start's training config: epochs, batchSize, learningRate, optimizer?
    config: dict
    #: The strategy's instructions: proximalMu (FedProx), clipNorm and noiseStd (local DP); {} for none.
    instructions: dict
    shard_id: str
    #: How to encode the update: {'uplink': 'float32'|'float16'|'int8'|'topk', 'topkFraction'?}; None: float32.
    codec: Optional[dict] = None
    #: Set when the coordinator called the round off (paused or stopped): a train callback may stop early.
    cancelled: threading.Event = field(default_factory=threading.Event)


@dataclass
class Trained:
    """What a train callback returns: the model after local training (`weights`, whose change from the global model is
    clipped and noised here when the round asks for local DP) or that change already privatized (`delta`, sent as it
    is); both flat float32 in the manifest's order and tfjs layouts."""

    num_examples: int
    loss: float
    accuracy: float
    weights: Optional[np.ndarray] = None
    delta: Optional[np.ndarray] = None
    #: The global model as received, scored on held-out examples before training: {'loss','accuracy','examples'}.
    evaluation: Optional[dict] = None


@dataclass
class _Job:
    round: int
    #: The global model's bytes as announced: the same round and bytes again is the same work.
    announced: bytes
    phase: str = "training"  # training | ready | sending | sent | refused | discarded
    update: Optional[dict] = None
    attempted: bool = False
    counted: bool = False


@dataclass
class SessionView:
    connection: str = "connecting"
    state: str = "joining"
    detail: Optional[str] = None
    round: Optional[int] = None
    federation: Optional[dict] = None
    rounds_done: int = 0
    rounds_missed: int = 0
    bytes_sent: int = 0
    last_evaluation: Optional[dict] = None
    final_evaluation: Optional[dict] = None
    messages: list = field(default_factory=list)
    #: Each query answered: {'queryId', 'kind', 'at', 'whatLeaves', 'numbers'}, the exact numbers that left.
    answered_queries: list = field(default_factory=list)


TrainCallback = Callable[[RoundTask], Optional[Trained]]
EvaluateCallback = Callable[[RoundTask], Optional[dict]]
#: A query's answer from the device's examples: (query, context, the global model to score for a confusion matrix, else
#: None) -> the answer vector (queries.device_answer / confusion_matrix_answer); raises with a sentence when it cannot.
QueryCallback = Callable[[dict, dict, Optional[RoundTask]], np.ndarray]


class DeviceSession:
    """`train` is called on the session's thread for each round; it may return None and hand its result to `upload`
    later (from any thread). `evaluate` scores the federation's final model on held-out examples (None: none held).
    `answer_query` answers federated-analytics queries from the device's examples (None: queries are not answered)."""

    def __init__(
        self,
        server: str,
        federation_id: str,
        device_id: str,
        train: TrainCallback,
        *,
        backend: str,
        num_examples: Optional[int] = None,
        credentials: Optional[DeviceCredentials] = None,
        evaluate: Optional[EvaluateCallback] = None,
        answer_query: Optional[QueryCallback] = None,
        state_dir: str,
        on_assigned_shard: Optional[Callable[[dict, dict], int]] = None,
        on_change: Callable[[SessionView], None] = lambda view: None,
        on_notice: Callable[[str], None] = lambda text: None,
    ):
        self.federation_id = federation_id
        self.device_id = device_id
        self._train = train
        self._evaluate = evaluate
        self._answer_query = answer_query
        self._state_dir = state_dir
        self._on_assigned_shard = on_assigned_shard
        self._backend = backend
        self._num_examples = num_examples
        self.credentials = credentials or DeviceCredentials()
        self._on_change = on_change
        self._on_notice = on_notice
        self._inbox: "queue.Queue[tuple[str, Any]]" = queue.Queue()
        self._connection = Connection(server, self.credentials, self._inbox, self._on_arrival)
        self._downloader = ModelDownloader(self._connection)
        self._query_downloader = ModelDownloader(self._connection)
        #: The last whole global model received (round:start without a base, model:final): a confusion matrix scores
        #: it when it is the one asked for, else the asked one is pulled.
        self._whole_model: Optional[bytes] = None
        self._asked_queries: dict = {}  # query id -> (deadline, numbers)
        self.view = SessionView()
        self._hello_accepted = False
        self._hello_failures = 0
        self._coordinator: Optional[dict] = None
        self._shard_id: Optional[str] = None
        self._job: Optional[_Job] = None
        self._training: Optional[RoundTask] = None
        self._next_round: Optional[tuple] = None
        self._held: dict = {}  # round -> (manifest, values): the base of a downlink delta
        self._missed: set = set()
        self._closed = threading.Event()
        self._finished = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="flock-session", daemon=True)

    # ---- public ----

    def start(self) -> None:
        self._connection.start()
        self._thread.start()

    def close(self) -> None:
        self._closed.set()
        self._inbox.put(("close", None))
        self._connection.close()

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Blocks until the federation finished (True) or `timeout` seconds passed (False)."""
        return self._finished.wait(timeout)

    def upload(self, task: RoundTask, trained: Trained) -> None:
        """Hands in the result of a round whose train callback returned None; it is sent as soon as it can be."""
        self._inbox.put(("trained", (task, trained)))

    def notice(self, text: str) -> None:
        self.view.messages = [text, *self.view.messages][:6]
        self._on_notice(text)

    def _on_arrival(self, name: str, data: Any) -> None:
        """On the link's thread, as a message arrives: a call-off stops the training under way at once."""
        task = self._training
        if name == "round:abandoned" and isinstance(data, dict) and task is not None and data.get("round") == task.round:
            if data.get("federationId") == self.federation_id and data.get("next") != "redone-now":
                task.cancelled.set()

    # ---- the session thread ----

    def _loop(self) -> None:
        handlers = {
            "connect": self._on_connect,
            "disconnect": self._on_disconnect,
            "unreachable": lambda why: self._set_connection("waiting for coordinator", f"the coordinator at {self._connection.server} does not answer yet ({why}); trying again every few seconds"),
            "refused": lambda why: self.notice(f"the coordinator refused the connection ({why}); joining again without the kept credential"),
            "hello-retry": self._on_hello_retry,
            "round:start": self._on_round_start,
            "round:abandoned": self._on_round_abandoned,
            "model:final": self._on_final_model,
            "federation:status": self._on_federation_status,
            "coordinator:closing": lambda raw: isinstance(raw, dict) and self.notice(str(raw.get("reason", ""))),
            "protocol:error": lambda raw: isinstance(raw, dict) and self.notice(f"the coordinator refused {raw.get('event')}: {raw.get('reason')}"),
            "secagg:request": self._on_secagg_request,
            "query:ask": self._on_query_ask,
            "trained": lambda item: self._on_trained(*item),
            "deliver": lambda _: self._deliver(),
        }
        while not self._closed.is_set():
            kind, payload = self._inbox.get()
            if kind == "close":
                return
            try:
                handlers[kind](payload)
            except Exception as err:  # a bug or a malformed message must not end the device
                self.notice(f"could not handle {kind} ({err}); the device carries on: report this if it repeats")

    def _set_connection(self, state: str, detail: Optional[str] = None) -> None:
        if self.view.connection != state:
            self.view.connection = state
            if detail:
                self.notice(detail)
            self._changed()

    def _on_connect(self, generation: int) -> None:
        self._hello_accepted = False
        self._hello_failures = 0
        self._set_connection("connected")
        self._say_hello(generation)

    def _on_disconnect(self, _: Any) -> None:
        self._hello_accepted = False
        if not self._closed.is_set():
            self._set_connection("reconnecting", "the connection to the coordinator dropped; reconnecting by itself")

    def _on_hello_retry(self, generation: int) -> None:
        if generation == self._connection.generation and self._connection.connected:
            self._say_hello(generation)

    def _say_hello(self, generation: int) -> None:
        hello = {
            "protocolVersion": PROTOCOL_VERSION,
            "deviceId": self.device_id,
            "federationId": self.federation_id,
            "backend": self._backend,
            "adapter": None,
            "platform": "python",
        }
        if self._num_examples is not None:
            hello["dataSource"] = {"kind": "own", "numExamples": int(self._num_examples)}
        held = self._held_round()
        if held is not None:
            hello["heldModel"] = held
        try:
            reply = self._connection.ask("hello", hello, HELLO_TIMEOUT_S)
        except Undelivered as err:
            reply = {"ok": False, "reason": f"it did not answer the hello: {err}"}
        if generation != self._connection.generation or not self._connection.connected:
            return  # a hello lost with its connection is no error: the next connection says hello itself
        if not isinstance(reply, dict) or not reply.get("ok"):
            reason = reply.get("reason") if isinstance(reply, dict) else "its reply was malformed"
            delay = min(HELLO_RETRY_MAX_S, HELLO_RETRY_S * 2**self._hello_failures)
            self._hello_failures += 1
            timer = threading.Timer(delay, lambda: self._inbox.put(("hello-retry", generation)))
            timer.daemon = True
            timer.start()
            self._set_state("error", f"the coordinator did not let this device join ({reason}); it asks again by itself in {round(delay)} s")
            return
        self._hello_accepted = True
        self._hello_failures = 0
        self._coordinator = {"status": reply["status"], "round": reply["round"]}
        if reply.get("credential"):
            self.credentials.keep(reply["credential"])
        federation = {**self._coordinator, "accuracy": (self.view.federation or {}).get("accuracy")}
        if reply.get("privacyGuarantee"):
            federation["privacyGuarantee"] = reply["privacyGuarantee"]
            self.notice(reply["privacyGuarantee"])
        self.view.federation = federation
        self._check_job_after_reconnect()
        dataset = reply["dataset"]
        if dataset["kind"] == "own":
            if self._num_examples is None:
                self._set_state("error", "the coordinator expects this device to bring its own data: start it with --data PATH")
                return
        else:
            if self._on_assigned_shard is None:
                self._set_state("error", "the coordinator assigned a shard to a device that brings its own data; join a federation whose devices bring their own data, or leave out --data")
                return
            if self._shard_id != dataset["shardId"]:
                self._set_state("downloading-data")
                try:
                    self._on_assigned_shard(dataset, self.credentials.headers())
                except Exception as err:
                    self._set_state("error", f"this device could not get its training examples ({err}); it tries again when it reconnects")
                    return
        self._shard_id = dataset["shardId"]
        if self._job and self._job.phase == "ready":
            self._deliver()
            return
        self._set_state("waiting-for-round", announce=True)
        self._run_next_round()

    def _check_job_after_reconnect(self) -> None:
        job = self._job
        if job and _round_fate(job.round, self._coordinator) == "closed" and job.phase == "ready" and not job.attempted:
            self._miss(job.round, f"the coordinator closed it while this device was away (it is at round {self._coordinator['round']}, {self._coordinator['status']})")

    def _on_federation_status(self, raw: Any) -> None:
        if not isinstance(raw, dict) or raw.get("federationId") != self.federation_id:
            return
        self._coordinator = {"status": raw["status"], "round": raw["round"]}
        before = self.view.federation or {}
        self.view.federation = {"status": raw["status"], "round": raw["round"], "accuracy": raw.get("accuracy")}
        self._changed()
        if raw["status"] in ("finished", "stopped") and before.get("status") != raw["status"]:
            self.notice(f"the federation {raw['status']} at round {raw['round']}" + (f", global accuracy {raw['accuracy'] * 100:.1f}%" if raw.get("accuracy") is not None else ""))
            self._finished.set()

    def _on_round_start(self, raw: Any) -> None:
        if not isinstance(raw, dict) or raw.get("federationId") != self.federation_id:
            return
        round_ = int(raw["round"])
        if raw.get("download") is not None and raw.get("weights") is None:
            outcome, result = self._downloader.pull(self.federation_id, round_, raw["download"])
            if outcome == "refused":
                self.notice(f"could not download the model of round {round_}: {result}")
            if outcome != "complete":
                return  # an interrupted pull goes on when the round is announced again after the next hello
            raw = {**raw, "weights": result}
        announced = bytes(raw["weights"])
        if not raw.get("modelBase"):
            self._whole_model = announced
        if self._coordinator is None or round_ >= self._coordinator["round"]:
            self._coordinator = {"status": "training", "round": round_}
        job = self._job
        if job and job.round == round_ and job.announced == announced:
            if job.phase in ("training", "sending"):
                return
            if job.update is not None:
                if job.phase != "ready":
                    self.notice(f"round {round_} asked for again: sending the update already computed")
                job.phase = "ready"
                self._deliver()
                return
        if self._next_round is None or round_ >= self._next_round[0]["round"]:
            self._next_round = (raw, announced)
        self._deliver()
        self._run_next_round()

    def _on_round_abandoned(self, raw: Any) -> None:
        if not isinstance(raw, dict) or raw.get("federationId") != self.federation_id:
            return
        round_, reason, next_ = raw["round"], raw.get("reason", ""), raw.get("next")
        if next_ == "redone-now":
            return  # the same model goes out again at once: the work under way still serves
        if self._next_round and self._next_round[0]["round"] == round_:
            self._next_round = None
        job = self._job
        if not job or job.round != round_ or job.phase not in ("training", "ready"):
            return
        dropped = "this device stopped training it and discarded its work" if job.phase == "training" else "this device discarded the update it had computed"
        job.phase, job.update = "discarded", None
        resumed = "; the round is trained afresh when the federation resumes" if next_ == "redone-on-resume" else ""
        self.notice(f"round {round_} was called off ({reason}): {dropped}{resumed}")
        self._set_state("waiting-for-round")
        self._run_next_round()

    def _busy(self) -> bool:
        return self._job is not None and self._job.phase in ("training", "sending")

    def _run_next_round(self) -> None:
        if self._next_round is None or self._busy() or not self._hello_accepted or self._shard_id is None:
            return
        raw, announced = self._next_round
        self._next_round = None
        previous = self._job
        if previous and previous.phase == "ready":
            self._miss(previous.round, f"round {raw['round']} started before its update could be sent")
        try:
            task = self._task_from(raw)
        except (wire.WireError, ValueError) as err:
            self._set_state("error", f"round {raw['round']} could not be read ({err}); this device takes part again from the next round")
            return
        if raw.get("secureAggregation"):
            self.notice(
                f"round {task.round} is securely aggregated, which the Python client does not take part in yet: it sits the round out "
                "(join such federations with a browser tab or `flockctl client`)"
            )
            return
        job = _Job(task.round, announced)
        self._job = job
        self._training = task
        self.view.round = task.round
        self._set_state("training")
        try:
            trained = self._train(task)
        except Exception as err:
            self._training = None
            if task.cancelled.is_set():
                return  # called off: the round:abandoned queued behind says so and discards the job
            job.phase = "refused"
            self._set_state("error", f"training round {task.round} failed ({err}); this device takes part again from the next round")
            return
        if trained is not None:
            self._on_trained(task, trained)

    def _task_from(self, raw: dict) -> RoundTask:
        base = raw.get("modelBase")
        if base:
            held = self._held.get(base["round"])
            if held is None:
                raise ValueError(f"round:start sent a delta against the model of round {base['round']}, which this device no longer holds")
            manifest, values = held
            values = wire.apply_downlink(values, raw["weights"], manifest, base["precision"])
        else:
            decoded = wire.decode_weights(raw["weights"])
            if decoded.kind != "weights":
                raise ValueError("round:start carried a delta without naming the model it applies to")
            manifest, values = decoded.manifest, decoded.values
        self._held[raw["round"]] = (manifest, values)
        for old in sorted(self._held)[:-HELD_MODELS]:
            del self._held[old]
        return RoundTask(
            federation_id=self.federation_id,
            round=int(raw["round"]),
            model=raw["model"],
            manifest=list(manifest),
            weights=values,
            config=dict(raw["config"]),
            instructions=dict(raw.get("instructions") or {}),
            shard_id=self._shard_id or "",
            codec=dict(raw["codec"]) if raw.get("codec") else None,
        )

    def _held_round(self) -> Optional[int]:
        return max(self._held) if self._held else None

    def _on_trained(self, task: RoundTask, trained: Trained) -> None:
        job = self._job
        if not job or job.round != task.round or job.phase != "training":
            return  # the round was called off meanwhile
        self._training = None
        if trained.delta is not None:
            delta = trained.delta
        else:  # clipped and noised here when the round asks for local DP
            delta = privatize_delta(np.asarray(trained.weights, dtype=np.float32).ravel() - task.weights, task.instructions)
        payload = encode_update(task, np.asarray(delta, dtype=np.float32), self._state_dir)
        message = {
            "federationId": self.federation_id,
            "round": task.round,
            "numExamples": int(trained.num_examples),
            "metrics": {"loss": max(0.0, float(trained.loss)), "accuracy": min(1.0, max(0.0, float(trained.accuracy)))},
            "payload": payload,
        }
        if trained.evaluation:
            message["evaluation"] = trained.evaluation
            self.view.last_evaluation = trained.evaluation
        job.update = message
        job.phase = "ready"
        # What the coordinator sent while this device trained (a call-off, a status) is handled before the update goes.
        self._inbox.put(("deliver", None))

    def _deliver(self) -> None:
        job = self._job
        if not job or job.phase != "ready" or job.update is None or self._closed.is_set():
            return
        disposition = _delivery_disposition(job.round, self._coordinator)
        if disposition == "drop":
            job.phase = "refused"
            self._miss(job.round, f"the federation is {(self._coordinator or {}).get('status', 'gone')}")
            self._set_state("waiting-for-round")
        elif not self._connection.connected or not self._hello_accepted:
            self._set_state("uploading")  # sent after the next hello
            return
        elif disposition == "hold":
            self._set_state("waiting-for-round")
            return
        else:
            job.phase, job.attempted = "sending", True
            self._set_state("uploading")
            size = len(job.update["payload"])
            delivery = upload_update(self._connection, job.update, on_progress=self._resumed_upload_notice(job.round))
            if delivery.outcome == "accepted":
                job.phase = "sent"
                if job.round in self._missed:
                    self._missed.discard(job.round)
                    self.notice(f"round {job.round} counted after all")
                if not job.counted:
                    self.view.rounds_done += 1
                    self.view.bytes_sent += size
                job.counted = True
            elif delivery.outcome == "undelivered" and not self._connection.connected:
                job.phase = "ready"  # the link dropped: the upload goes on after the next hello
                self.notice(f"the upload of round {job.round} was cut ({delivery.reason}); it goes on from there after reconnecting")
            else:
                job.phase = "refused"
                self._miss(job.round, delivery.reason)
            self._set_state("uploading" if job.phase == "ready" else "waiting-for-round")
        self._run_next_round()

    def _resumed_upload_notice(self, round_: int) -> Callable[[int, int], None]:
        """Says so when the coordinator already held part of the update (an upload cut earlier goes on from there)."""
        first = [True]

        def progress(received: int, total: int) -> None:
            if first[0] and 0 < received < total:
                self.notice(f"round {round_}: the coordinator already holds {received:,} of the update's {total:,} bytes; sending the rest")
            first[0] = False

        return progress

    def _miss(self, round_: int, reason: str) -> None:
        if round_ in self._missed:
            return
        self._missed.add(round_)
        self.view.rounds_missed = len(self._missed)
        self.notice(f"round {round_} missed: {reason}")

    def _on_final_model(self, raw: Any) -> None:
        if not isinstance(raw, dict) or raw.get("federationId") != self.federation_id or self._evaluate is None or self._shard_id is None:
            return
        try:
            self._whole_model = bytes(raw["weights"])
            decoded = wire.decode_weights(self._whole_model)
            if decoded.kind != "weights":
                raise ValueError("model:final carried a delta instead of the whole model")
            task = RoundTask(self.federation_id, int(raw["round"]), raw["model"], list(decoded.manifest), decoded.values, {}, {}, self._shard_id)
            evaluation = self._evaluate(task)
        except Exception as err:
            self.notice(f"the final model could not be scored on this device ({err}); the federation's result stands without this device's score")
            return
        if not evaluation:
            return
        self.view.final_evaluation = evaluation
        scored = f"the final model scored {evaluation['accuracy'] * 100:.1f}% on this device's {evaluation['examples']} held-out examples"
        try:
            ack = self._connection.ask("evaluation:final", {"federationId": self.federation_id, "round": int(raw["round"]), "evaluation": evaluation}, FINAL_EVALUATION_ACK_S)
        except Undelivered:
            ack = None
        if isinstance(ack, dict) and ack.get("ok"):
            self.notice(f"{scored}; the coordinator has the score")
        else:
            self.notice(f"{scored}; the coordinator did not take the score ({ack.get('reason') if isinstance(ack, dict) else 'it did not answer'})")

    def _on_secagg_request(self, raw: Any) -> None:
        stage = raw.get("stage") if isinstance(raw, dict) else None
        if stage == "advertise":  # said once per round, at its first stage
            self.notice("this device sits out the secure-aggregation stages, which the Python client does not answer yet")

    def _on_query_ask(self, raw: Any) -> None:
        """A federated-analytics query: this device's answer from its examples (aggregates only, as whatLeaves says),
        sent once with query:answer and printed with its exact numbers. Asked again (it reconnected before the
        coordinator had it), it sends the same numbers, not a fresh sample."""
        if not isinstance(raw, dict) or not isinstance(raw.get("query"), dict) or not isinstance(raw.get("context"), dict):
            self.notice("ignored a malformed query from the coordinator; restart the client if this repeats")
            return
        query_id, query, context = str(raw.get("queryId")), raw["query"], raw["context"]
        kind = query.get("kind")
        if raw.get("secureSumLevels") is not None:
            self.notice(
                f"query {query_id} ({kind}) not answered: the federation sums answers securely, which the Python client does not take part in yet "
                "(answer such queries with a browser tab or `flockctl client`)"
            )
            return
        if self._answer_query is None:
            self.notice(f"query {query_id} ({kind}) not answered: this device was started without a way to read its examples for queries")
            return
        deadline = raw.get("deadline", 0)
        asked = self._asked_queries.get(query_id)
        resent = asked is not None and asked[0] == deadline
        if resent:
            numbers = asked[1]
        else:
            try:
                model = self._query_model(raw) if kind == "confusion-matrix" else None
                numbers = [float(v) for v in self._answer_query(query, context, model)]
            except Exception as err:
                self.notice(f"query {query_id} ({kind}) not answered: {err}")
                return
            self._asked_queries.pop(query_id, None)
            self._asked_queries[query_id] = (deadline, numbers)
            for old in list(self._asked_queries)[:-MAX_ANSWERED_QUERIES]:
                del self._asked_queries[old]
        wait_s = max(1.0, deadline / 1000 - time.time())
        try:
            ack = self._connection.ask("query:answer", {"queryId": query_id, "answer": numbers}, wait_s)
        except Undelivered:
            ack = None
        if not resent:
            what_leaves = str(raw.get("whatLeaves", ""))
            at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            answered = {"queryId": query_id, "kind": kind, "at": at, "whatLeaves": what_leaves, "numbers": numbers}
            self.view.answered_queries = [*self.view.answered_queries, answered][-MAX_ANSWERED_QUERIES:]
            self.notice(f"query {query_id} ({kind}) answered; what left this device: {queries.describe_numbers(numbers)}. {what_leaves}".rstrip())
            self._changed()
        if not (isinstance(ack, dict) and ack.get("ok")):
            why = ack.get("reason") if isinstance(ack, dict) and ack.get("reason") else "it did not answer before the query closed"
            self.notice(f"query {query_id} ({kind}): the coordinator did not take this device's answer ({why})")

    def _query_model(self, raw: dict) -> RoundTask:
        """The global model a confusion matrix scores: the one held when its bytes are the asked ones, else pulled."""
        model = raw.get("model")
        if not isinstance(model, dict):
            raise ValueError("the coordinator did not say which model to score: update the coordinator")
        download, round_ = model["download"], int(model["round"])
        held = self._whole_model
        if held is not None and len(held) == int(download["totalBytes"]) and content_hash(held) == download["hash"]:
            weights = held
        else:
            outcome, result = self._query_downloader.pull(self.federation_id, round_, download)
            if outcome != "complete":
                raise ValueError(f"the global model of round {round_} could not be downloaded ({result})")
            weights = self._whole_model = result
        decoded = wire.decode_weights(weights)
        if decoded.kind != "weights":
            raise ValueError(f"the global model of round {round_} arrived as a delta instead of the whole model")
        return RoundTask(self.federation_id, round_, model["model"], list(decoded.manifest), decoded.values, {}, {}, self._shard_id or "")

    def _set_state(self, state: str, detail: Optional[str] = None, announce: bool = False) -> None:
        changed = state != self.view.state or detail != self.view.detail
        self.view.state, self.view.detail = state, detail
        if detail and changed:
            self.notice(detail)
        if changed or announce:
            if self._connection.connected and self._hello_accepted:
                self._connection.emit("status", {"state": state, "detail": detail[:500]} if detail else {"state": state})
            self._changed()

    def _changed(self) -> None:
        self._on_change(self.view)


def encode_update(task: RoundTask, delta: np.ndarray, state_dir: str) -> bytes:
    """The delta with the round's codec, with the draws a tab makes; top-k keeps what it did not send in `state_dir`
    (error feedback, added to the next round's delta, across restarts too)."""
    codec = task.codec or {"uplink": "float32"}
    name = codec.get("uplink", "float32")
    feedback = wire.ErrorFeedback.for_device(state_dir, task.federation_id, task.shard_id) if name == "topk" else None
    payload = wire.encode_weights(
        task.manifest,
        delta,
        codec=name,
        kind="delta",
        topk_fraction=codec.get("topkFraction"),
        error_feedback=feedback,
        rng=wire.uplink_rng(task.federation_id, task.shard_id, task.round),
    )
    return payload


def default_state_dir(device_id: str) -> str:
    """Where a device keeps its credential and top-k residuals: $XDG_STATE_HOME/flock-py/<device id>."""
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return os.path.join(base, "flock-py", device_id)


def _round_fate(round_: int, coordinator: Optional[dict]) -> str:
    if coordinator is None:
        return "not-open"
    if coordinator["round"] > round_:
        return "closed"
    if coordinator["round"] < round_:
        return "not-open"
    return "open" if coordinator["status"] in ("training", "paused") else "closed"


def _delivery_disposition(round_: int, coordinator: Optional[dict]) -> str:
    if coordinator is None:
        return "hold"
    if coordinator["round"] >= round_:
        return "send"
    return "drop" if coordinator["status"] in ("finished", "stopped") else "hold"
