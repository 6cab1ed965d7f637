"""Host side of the firmware's serial protocol (`firmware/PROTOCOL.md`, version 1): one method per command.

`BoardClient` is a `Transport` (`board_tests/transport.py`: deadlines, resynchronisation, reconnection,
retries) with the protocol's commands on top, encoded and parsed by `board_tests/protocol.py`. Every
command of the protocol is idempotent, so each is retried on its own; `run_example` retries load + infer
as one unit, checking the board's input CRC against the host's.

Example:

    with BoardClient("socket://127.0.0.1:4321", timeout=5) as board:
        print(board.info()["model_hash"])
        result = board.run_example(token_ids)      # load, infer, CRC checks
        print(result.logits, result.cycles)
"""

from __future__ import annotations

import time
from typing import Sequence

from board_tests import protocol
from board_tests.protocol import (  # noqa: F401  (the client's errors and results, re-exported)
    BoardDisconnected,
    BoardError,
    BoardErrorReply,
    BoardHardFault,
    BoardRebooted,
    BoardTimeout,
    InferResult,
    ProfileResult,
    ProtocolError,
    encode_load,
    input_crc,
    output_crc,
)
from board_tests.transport import Transport

MIN_SECONDS_PER_INFERENCE = 2.0
INFERENCE_TIME_MARGIN = 10


class BoardClient(Transport):
    """A protocol client for one board. Takes `Transport`'s arguments, and:

    Args:
        infer_timeout: extra seconds allowed per inference (warm-up or measured) for `infer`/`profile`;
            once inferences have been timed, the allowance shrinks to 10x the measured time (at least 2 s),
            so that a board that hangs in a long `infer 1000 100` is found out in minutes, not hours.
    """

    def __init__(self, url: str, infer_timeout: float = 60.0, **transport_args):
        super().__init__(url, **transport_args)
        self.infer_timeout = infer_timeout
        self.seconds_per_inference: float | None = None  # measured, slowest seen
        self.seq_len: int | None = None

    def name(self) -> str:
        return protocol.parse_name(self.command("name"))

    def info(self) -> dict[str, str]:
        info = protocol.parse_info(self.command("info"))
        if "seq_len" in info:
            self.seq_len = int(info["seq_len"])
        return info

    def mem(self) -> dict[str, int]:
        return protocol.parse_mem(self.command("mem"))

    def load(self, token_ids: Sequence[int]) -> tuple[int, str]:
        """Load token ids; returns (count, crc) as the board reports them."""
        return protocol.parse_load(self.command(encode_load(token_ids)))

    def infer(self, runs: int = 1, warmup: int = 0) -> InferResult:
        """Infer on the input the board holds."""
        return self.retrying(lambda: self._infer_once(runs, warmup), repr(protocol.encode_infer(runs, warmup)))

    def profile(self) -> ProfileResult:
        return protocol.parse_profile(self.command("profile", timeout=self.infer_deadline(2)))

    def run_example(self, token_ids: Sequence[int], runs: int = 1, warmup: int = 0) -> InferResult:
        """Load `token_ids` and infer, as one retried unit; checks both CRCs against the host's.

        A drop or reboot between `load` and `infer` would leave the board with another input (or none),
        so the pair is retried together, and the board's input CRC must equal the host's.
        """
        if self.seq_len is None:
            self.info()
        want = input_crc(token_ids, self.seq_len or len(token_ids))
        load = encode_load(token_ids)

        def once() -> InferResult:
            _, crc = protocol.parse_load(self.exchange(load, self.timeout))
            if crc != want:
                raise ProtocolError(f"board input CRC {crc} != host {want}: input corrupted on the way")
            res = self._infer_once(runs, warmup)
            if res.crc_input != want:
                raise ProtocolError(f"infer ran on input CRC {res.crc_input}, host loaded {want}")
            return res

        return self.retrying(once, "load+infer")

    # -- inference time -----------------------------------------------------------------------------
    def infer_deadline(self, inferences: int) -> float:
        """Seconds allowed for a reply that runs `inferences` inferences."""
        per = self.infer_timeout
        if self.seconds_per_inference is not None:
            per = min(per, max(MIN_SECONDS_PER_INFERENCE, INFERENCE_TIME_MARGIN * self.seconds_per_inference))
        return self.timeout + inferences * per

    def _infer_once(self, runs: int, warmup: int) -> InferResult:
        """One `infer` exchange, timed: the slowest inference seen sets later deadlines."""
        inferences = runs + warmup
        t0 = time.monotonic()
        lines = self.exchange(protocol.encode_infer(runs, warmup), self.infer_deadline(inferences))
        per = (time.monotonic() - t0) / max(1, inferences)
        self.seconds_per_inference = max(per, self.seconds_per_inference or 0.0)
        return protocol.parse_infer(lines, runs)
