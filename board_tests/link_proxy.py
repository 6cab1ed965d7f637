"""A loopback TCP proxy in front of any board link (device path or pyserial URL), to inject link faults.

The host talks to `proxy.url` (`socket://127.0.0.1:PORT`); the proxy relays bytes to and from the board.
`freeze()` makes the board look dead (nothing it sends gets through, nothing reaches it), `thaw()` undoes
it; `drop()` cuts the host's connection (the proxy accepts a new one). Used by the robustness tests on
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

from board_tests.loopback import LoopbackServer


class LinkProxy(LoopbackServer):
    thread_name = "link-proxy"

    def __init__(self, upstream: str, baud: int = 115200):
        super().__init__()
        self.upstream_url = upstream
        self.baud = baud
        self.frozen = threading.Event()
        self._up = None

    def start(self) -> "LinkProxy":
        self._up = serial.serial_for_url(self.upstream_url, baudrate=self.baud, timeout=0.05)
        self._start_thread(self._board_to_host)
        return super().start()

    def stop(self) -> None:
        super().stop()
        if self._up is not None:
            self._up.close()

    def freeze(self) -> None:
        self.frozen.set()

    def thaw(self) -> None:
        self.frozen.clear()

    def _serve_connection(self, conn: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                data = conn.recv(4096)
            except socket.timeout:
                continue
            if not data:
                return
            if not self.frozen.is_set():
                self._up.write(data)

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
