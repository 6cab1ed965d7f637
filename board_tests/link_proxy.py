"""A loopback TCP proxy in front of any board link (device path or pyserial URL), to inject link faults.

The host talks to `proxy.url` (`socket://127.0.0.1:PORT`); the proxy relays bytes to and from the board.
`freeze()` makes the board look dead (nothing it sends gets through, nothing reaches it), `thaw()` undoes
it; `cut()` drops the host's connection (the proxy accepts a new one). Used by the robustness tests on
boards that cannot be frozen from the host (real hardware, an emulator started elsewhere).

Example:

    with LinkProxy("/dev/ttyACM0", baud=115200) as proxy:
        client = BoardClient(proxy.url)
        proxy.freeze()
"""

from __future__ import annotations

import socket
import threading

import serial


class LinkProxy:
    def __init__(self, upstream: str, baud: int = 115200):
        self.upstream_url = upstream
        self.baud = baud
        self.frozen = threading.Event()
        self._stop = threading.Event()
        self._conn: socket.socket | None = None
        self._up = None
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(1)
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        return f"socket://127.0.0.1:{self.port}"

    def start(self) -> "LinkProxy":
        self._up = serial.serial_for_url(self.upstream_url, baudrate=self.baud, timeout=0.05)
        for fn in (self._accept_loop, self._board_to_host):
            t = threading.Thread(target=fn, daemon=True, name=f"link-proxy-{fn.__name__}")
            t.start()
            self._threads.append(t)
        return self

    def stop(self) -> None:
        self._stop.set()
        self.cut()
        for t in self._threads:
            t.join(timeout=2)
        self._listener.close()
        if self._up is not None:
            self._up.close()

    def __enter__(self) -> "LinkProxy":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def freeze(self) -> None:
        self.frozen.set()

    def thaw(self) -> None:
        self.frozen.clear()

    def cut(self) -> None:
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
            try:
                while not self._stop.is_set():
                    try:
                        data = conn.recv(4096)
                    except socket.timeout:
                        continue
                    if not data:
                        break
                    if not self.frozen.is_set():
                        self._up.write(data)
            except OSError:
                pass
            finally:
                self._conn = None
                conn.close()

    def _board_to_host(self) -> None:
        while not self._stop.is_set():
            try:
                self._up.timeout = 0.05
                data = self._up.read(1)
                if data:
                    self._up.timeout = 0
                    data += self._up.read(65536)
            except (serial.SerialException, OSError):
                return
            conn = self._conn
            if data and conn is not None and not self.frozen.is_set():
                try:
                    conn.sendall(data)
                except OSError:
                    pass
