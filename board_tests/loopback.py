"""A one-connection-at-a-time TCP server on 127.0.0.1, the base of the fake board and the link proxy.

Subclasses implement `_serve_connection(conn)`, which owns one accepted connection until it returns; the
server then waits for the next one. `drop()` closes the current connection from the server's side (the cable
is pulled); the host may connect again.
"""

from __future__ import annotations

import socket
import threading


class LoopbackServer:
    thread_name = "loopback"

    def __init__(self):
        self._stop = threading.Event()
        self._conn: socket.socket | None = None
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(1)
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self.connections = 0
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        return f"socket://127.0.0.1:{self.port}"

    def _start_thread(self, target) -> None:
        thread = threading.Thread(target=target, daemon=True, name=f"{self.thread_name}-{target.__name__}")
        thread.start()
        self._threads.append(thread)

    def start(self):
        self._start_thread(self._accept_loop)
        return self

    def stop(self) -> None:
        self._stop.set()
        self.drop()
        for thread in self._threads:
            thread.join(timeout=5)
        self._listener.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def drop(self) -> None:
        """Close the current connection from the server's side (the cable is pulled)."""
        conn = self._conn
        if conn is not None:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except (socket.timeout, OSError):
                continue
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.settimeout(0.1)
            self._conn = conn
            self.connections += 1
            try:
                self._serve_connection(conn)
            except OSError:
                pass
            finally:
                self._conn = None
                conn.close()

    def _serve_connection(self, conn: socket.socket) -> None:
        raise NotImplementedError
