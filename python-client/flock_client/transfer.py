"""Chunked model download (`model:chunk`) and chunked update upload (`update:begin` / `update:chunk`), as fl-core's
chunkedDownload.ts and chunkedUpload.ts: each chunk waits for its acknowledgement, and what arrived survives a cut link,
so the transfer goes on from the last acknowledged byte after the next hello."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Optional

from .connection import Connection, Undelivered

#: fl-core's UPLOAD_CHUNK_BYTES: an update no larger goes as one `update` message.
UPLOAD_CHUNK_BYTES = 256 * 1024
HELLO_TIMEOUT_S = 15.0
UPDATE_TIMEOUT_S = 120.0
UPLOAD_CHUNK_TIMEOUT_S = 60.0
DOWNLOAD_CHUNK_TIMEOUT_S = 30.0


@dataclass
class Delivery:
    """`accepted` (acknowledged, possibly as a duplicate), `refused` (the coordinator said why) or `undelivered`."""

    outcome: str
    reason: str = ""


def content_hash(data: bytes) -> str:
    """FNV-1a over the bytes, 8 hex digits: fl-core's contentHash, which names one model payload."""
    h = 0x811C9DC5
    for byte in data:
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return f"{h:08x}"


class ModelDownloader:
    """Pulls a model announced with a download descriptor; the bytes held survive reconnects (same model, same offset)."""

    def __init__(self, connection: Connection):
        self._connection = connection
        self._key: Optional[str] = None
        self._parts: list = []
        self._received = 0

    def pull(self, federation_id: str, round_: int, download: dict) -> tuple:
        """Returns ('complete', bytes) or ('undelivered' | 'refused', reason)."""
        total, digest = int(download["totalBytes"]), download["hash"]
        key = f"{federation_id}/{round_}/{digest}/{total}"
        if key != self._key:
            self._key, self._parts, self._received = key, [], 0
        while self._received < total:
            if not self._connection.connected:
                return "undelivered", f"the connection dropped after {self._received} of {total} bytes"
            request = {"federationId": federation_id, "round": round_, "hash": digest, "offset": self._received}
            try:
                reply = self._connection.ask("model:chunk", request, DOWNLOAD_CHUNK_TIMEOUT_S)
            except Undelivered as err:
                return "undelivered", f"no reply to model:chunk: {err}"
            if not isinstance(reply, dict) or "ok" not in reply:
                return "refused", "the coordinator's reply to model:chunk was malformed"
            if not reply["ok"]:
                return "refused", str(reply.get("reason", "no reason given"))
            data = bytes(reply.get("data") or b"")
            if not data:
                return "refused", f"an empty chunk at byte {self._received}"
            if self._received + len(data) > total:
                return "refused", f"a chunk at byte {self._received} runs past the model's {total} bytes"
            self._parts.append(data)
            self._received += len(data)
        weights = b"".join(self._parts)
        if content_hash(weights) != digest:
            self._key = None
            return "refused", f"the model's bytes hash to {content_hash(weights)}, not the announced {digest}"
        return "complete", weights


def send_update(connection: Connection, message: dict) -> Delivery:
    """One `update` message; a refusal for now only (retryAfterMs) is sent again after the wait."""
    while True:
        try:
            ack = connection.ask("update", message, UPDATE_TIMEOUT_S)
        except Undelivered as err:
            return Delivery("undelivered", f"no update ack: {err}")
        if not isinstance(ack, dict) or "ok" not in ack:
            return Delivery("refused", "the coordinator's update acknowledgement was malformed")
        if ack["ok"]:
            return Delivery("accepted")
        if ack.get("retryAfterMs") is None:
            return Delivery("refused", str(ack.get("reason", "no reason given")))
        time.sleep(ack["retryAfterMs"] / 1000)
        if not connection.connected:
            return Delivery("undelivered", str(ack.get("reason", "")))


def upload_update(
    connection: Connection,
    message: dict,
    chunk_bytes: int = UPLOAD_CHUNK_BYTES,
    on_progress: Optional[Callable[[int, int], None]] = None,
) -> Delivery:
    """Sends an update whole when it fits one chunk, else in chunks, each after the previous one's ack.

    `update:begin` answers how many bytes the coordinator already holds for this round, so an upload begun again after
    a cut link goes on from there."""
    payload: bytes = message["payload"]
    if len(payload) <= chunk_bytes:
        return send_update(connection, message)
    total = len(payload)
    header = {k: v for k, v in message.items() if k != "payload"}
    header["totalBytes"] = total

    def ask(event: str, data: dict):
        try:
            reply = connection.ask(event, data, UPLOAD_CHUNK_TIMEOUT_S)
        except Undelivered as err:
            return Delivery("undelivered", f"no chunk ack: {err}")
        if not isinstance(reply, dict) or "ok" not in reply:
            return Delivery("refused", "the coordinator's chunk acknowledgement was malformed")
        return reply

    reply = ask("update:begin", header)
    while True:
        if isinstance(reply, Delivery):
            return reply
        if not reply["ok"]:
            wait_ms = reply.get("retryAfterMs")
            if wait_ms is None:
                return Delivery("refused", str(reply.get("reason", "no reason given")))
            # The coordinator is busy receiving others' updates: ask again until it has room or the round ends.
            time.sleep(wait_ms / 1000)
            if not connection.connected:
                return Delivery("undelivered", f"the connection dropped while waiting to upload: {reply.get('reason', '')}")
            reply = ask("update:begin", header)
            continue
        received = int(reply["received"])
        if on_progress:
            on_progress(received, total)
        if reply.get("done"):
            return Delivery("accepted")
        if not connection.connected:
            return Delivery("undelivered", f"the connection dropped after {received} of {total} bytes")
        chunk = payload[received : min(total, received + chunk_bytes)]
        reply = ask("update:chunk", {"federationId": message["federationId"], "round": message["round"], "offset": received, "data": chunk})
