"""What the device presents to the coordinator, as fl-core's DeviceCredentials: the device credential its id was bound to
on its first hello (kept in a file, so a restarted client is the same device), else the enrollment token it joined with
(a join link's `token`), else nothing (open federations)."""

from __future__ import annotations

import os
import threading
from typing import Optional


class DeviceCredentials:
    def __init__(self, enrollment_token: Optional[str] = None, credential_file: Optional[str] = None):
        self._enrollment_token = enrollment_token or None
        self._file = credential_file
        self._lock = threading.Lock()
        self._credential: Optional[str] = None
        if credential_file and os.path.exists(credential_file):
            with open(credential_file, encoding="utf-8") as f:
                self._credential = f.read().strip() or None

    def current(self) -> Optional[str]:
        with self._lock:
            return self._credential or self._enrollment_token

    def keep(self, credential: str) -> None:
        """The coordinator bound this device id to `credential`: presented from now on, and after a restart."""
        with self._lock:
            self._credential = credential
            if self._file:
                fd = os.open(self._file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    f.write(credential + "\n")

    def forget(self) -> None:
        """The coordinator refused the credential (revoked, or signed by a coordinator whose data was reset)."""
        with self._lock:
            self._credential = None
            if self._file and os.path.exists(self._file):
                os.remove(self._file)

    def socket_auth(self) -> dict:
        """Socket.IO's `auth`: read before each connection attempt."""
        token = self.current()
        return {"token": token} if token else {}

    def headers(self) -> dict:
        """Headers for a REST call the device makes (its shard download)."""
        token = self.current()
        return {"authorization": f"Bearer {token}"} if token else {}
