"""The device's Socket.IO link to the coordinator: reconnection with backoff, acknowledged requests, events in order.

python-socketio's threaded client runs each incoming message in a thread of its own, which can reorder a binary
event's parts; here every message is handled on the reading thread in arrival order, and what the coordinator sends
is queued for the session's own thread, so no handler ever blocks the link.
"""

from __future__ import annotations

import queue
import random
import threading
from typing import Any, Callable, Optional

import engineio
import socketio

from .credentials import DeviceCredentials

#: Reconnection as the Node and tab devices do it: 0.5 s doubling to 5 s, each +-50% below the 5 s cap.
RECONNECT_DELAY_S = 0.5
RECONNECT_DELAY_MAX_S = 5.0
RANDOMIZATION = 0.5
#: Each connection attempt gives up after this long.
CONNECT_TIMEOUT_S = 10.0

#: The events the coordinator sends a device.
DEVICE_EVENTS = (
    "round:start",
    "round:abandoned",
    "model:final",
    "federation:status",
    "coordinator:closing",
    "protocol:error",
    "secagg:request",
    "query:ask",
)


def reconnect_delay_s(attempt: int, rand: Callable[[], float] = random.random) -> float:
    """The delay before retry number `attempt` (0-based): fl-core's reconnectDelayMs, in seconds."""
    base = RECONNECT_DELAY_S * 2 ** min(attempt, 30)
    return min(RECONNECT_DELAY_MAX_S, base * (1 + RANDOMIZATION * (2 * rand() - 1)))


class Undelivered(Exception):
    """No answer came: the link dropped or the coordinator did not reply in time. The message says which."""


class _InOrderEngineIO(engineio.Client):
    def _trigger_event(self, event, *args, **kwargs):  # noqa: D401 - engineio's hook
        if event == "message":
            kwargs["run_async"] = False
        return super()._trigger_event(event, *args, **kwargs)


class _InOrderClient(socketio.Client):
    def _engineio_client_class(self):
        return _InOrderEngineIO


class Connection:
    """Connects and stays connected (until `close`); `inbox` receives ('connect'|'disconnect'|event name, payload)."""

    def __init__(
        self,
        server: str,
        credentials: DeviceCredentials,
        inbox: "queue.Queue[tuple[str, Any]]",
        on_arrival: Callable[[str, Any], None] = lambda name, data: None,
    ):
        """`on_arrival(event, payload)` runs on the link's thread as each event arrives, before it is queued."""
        self.server = server
        self._credentials = credentials
        self._inbox = inbox
        self._on_arrival = on_arrival
        self._closed = threading.Event()
        self._generation = 0
        self._waiters: set[threading.Event] = set()
        self._lock = threading.Lock()
        self._sio = _InOrderClient(reconnection=False, handle_sigint=False)
        self._sio.on("connect", self._on_connect)
        self._sio.on("disconnect", self._on_disconnect)
        self._sio.on("connect_error", self._on_connect_error)
        for name in DEVICE_EVENTS:
            self._sio.on(name, self._forward(name))
        self._refused: Optional[str] = None
        self._link_up = False
        self._thread = threading.Thread(target=self._run, name="flock-connection", daemon=True)

    @property
    def connected(self) -> bool:
        # Our own flag: python-socketio's turns true only once connect() returns, after the connect handler ran, and
        # turns false only after the disconnect handlers ran.
        return self._link_up

    @property
    def generation(self) -> int:
        """Bumped on every connect and disconnect: work begun on an older link stops at its next request."""
        return self._generation

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._closed.set()
        self._wake_waiters()
        if self._sio.connected:
            self._sio.disconnect()

    def emit(self, event: str, data: Any) -> None:
        if self.connected:
            self._sio.emit(event, data)

    def ask(self, event: str, data: Any, timeout_s: float) -> Any:
        """Emits `event` and returns the coordinator's acknowledgement; raises Undelivered when the link drops first."""
        if not self.connected:
            raise Undelivered("not connected")  # emitted now, it would be sent before the next hello
        done = threading.Event()
        reply: list = []
        generation = self._generation

        def answered(*args):
            reply.append(args[0] if args else None)
            done.set()

        with self._lock:
            self._waiters.add(done)
        try:
            self._sio.emit(event, data, callback=answered)
            if not done.wait(timeout_s):
                raise Undelivered(f"no answer to {event} within {timeout_s:g} s")
        finally:
            with self._lock:
                self._waiters.discard(done)
        if not reply:
            why = "this client is closing" if self._closed.is_set() else "the connection dropped"
            raise Undelivered(f"{why} before the coordinator answered {event}")
        if generation != self._generation:
            raise Undelivered(f"the connection dropped before the coordinator answered {event}")
        return reply[0]

    def _forward(self, name: str) -> Callable[..., None]:
        def forward(data: Any = None, *_: Any) -> None:
            self._on_arrival(name, data)
            self._inbox.put((name, data))

        return forward

    def _on_connect(self) -> None:
        self._generation += 1
        self._link_up = True
        self._inbox.put(("connect", self._generation))

    def _on_disconnect(self) -> None:
        self._link_up = False
        self._generation += 1
        self._wake_waiters()
        self._inbox.put(("disconnect", None))

    def _on_connect_error(self, data: Any = None) -> None:
        message = data.get("message") if isinstance(data, dict) else str(data)
        if isinstance(message, str) and message.startswith("unauthorized"):
            self._refused = message

    def _wake_waiters(self) -> None:
        with self._lock:
            for waiter in self._waiters:
                waiter.set()

    def _run(self) -> None:
        attempt = 0
        while not self._closed.is_set():
            self._refused = None
            try:
                self._sio.connect(
                    self.server,
                    auth=self._credentials.socket_auth,
                    transports=["websocket"],
                    wait_timeout=CONNECT_TIMEOUT_S,
                )
            except socketio.exceptions.ConnectionError as err:
                if self._refused:
                    # Refused by the coordinator's auth check: a reset coordinator signs with a new key, so the kept
                    # credential is dropped and the device joins afresh (with its enrollment token, if any).
                    self._inbox.put(("refused", self._refused))
                    self._credentials.forget()
                elif attempt == 0:
                    self._inbox.put(("unreachable", str(err) or "no answer"))
                self._closed.wait(reconnect_delay_s(attempt))
                attempt += 1
                continue
            attempt = 0
            self._sio.wait()
            if not self._closed.is_set():
                self._closed.wait(reconnect_delay_s(0))
