"""ASGI apps served by uvicorn in background threads, on sockets bound up front (so a busy port
is a clear error before anything starts, and port 0 means "any free port")."""

from __future__ import annotations

import errno
import socket
import threading
import time
from typing import Any

import uvicorn

LOOPBACK = "127.0.0.1"


class PortInUseError(RuntimeError):
    pass


def bind(port: int, host: str = LOOPBACK) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortInUseError(f"port {port} on {host} is in use") from None
        raise
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


class ServerThread:
    """`start()` serves `app` on `sock` and returns once uvicorn listens; `stop()` ends it."""

    def __init__(self, app: Any, sock: socket.socket, name: str) -> None:
        self.sock = sock
        self.port = int(sock.getsockname()[1])
        config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [sock]}, name=name, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self, timeout: float = 10.0) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"{self.thread.name} did not start")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self.server.should_exit = True
        if self.thread.is_alive():
            self.thread.join(timeout)
        self.sock.close()
