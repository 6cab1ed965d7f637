"""The fake board answers bad commands with the firmware's own messages, and those messages are the ones
`firmware/src/app.cc` prints: each is made of the firmware's string literals, numbers and the command's words."""

import ast
import functools
import re

import pytest

from board_tests.bad_commands import bad_commands
from board_tests.client import BoardClient, BoardErrorReply
from board_tests.fake_board import HARDFAULT_LINE, FakeBoard
from keras_models.paths import REPO_ROOT

L, V = 16, 8192
FIRMWARE = REPO_ROOT / "firmware"


def c_string_literals(source: str) -> set[str]:
    """The string literals of a C++ source, include lines left out."""
    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("#include"))
    return {ast.literal_eval(f'"{body}"') for body in re.findall(r'"((?:[^"\\\n]|\\.)*)"', code)}


def composable(message: str, literals: set[str], words: list[str]) -> bool:
    """True when `message` is a sequence of `literals`, decimal numbers, hex bytes/words after `0x` (as
    out_hex8 and the bad-character report print them), and the command's `words` (echoed, clipped)."""
    pieces = sorted((p for p in literals | set(words) if p), key=len, reverse=True)

    @functools.cache
    def ok(i: int) -> bool:
        if i == len(message):
            return True
        rest = message[i:]
        if any(rest.startswith(p) and ok(i + len(p)) for p in pieces):
            return True
        number = re.match(r"\d+", rest)
        if number and ok(i + number.end()):
            return True
        if message[max(0, i - 2):i] == "0x":
            return any(re.match(f"[0-9a-f]{{{n}}}", rest) and ok(i + n) for n in (2, 8))
        return False

    return ok(0)


def test_literal_extraction_and_composition():
    lits = c_string_literals('#include "a.h"\nout_str("hex length "); out_str(", expected \\"x\\"");')
    assert lits == {"hex length ", ', expected "x"'}
    assert composable("hex length 4, expected \"x\"", lits, [])
    assert not composable("hex length: 4", lits, [])


@pytest.fixture(scope="module")
def firmware_literals() -> set[str]:
    return c_string_literals((FIRMWARE / "src" / "app.cc").read_text())


@pytest.mark.parametrize("command,message", bad_commands(L, V), ids=lambda v: repr(v)[:24])
def test_bad_command_messages_are_the_firmwares(command, message, firmware_literals):
    words = [w[:24] for w in command.split()]
    assert composable(message, firmware_literals, words), f"{message!r} is not printed by firmware/src/app.cc"


def test_fake_board_answers_bad_commands_like_the_firmware():
    with FakeBoard(seq_len=L, vocab=V, classes=3) as fake, BoardClient(fake.url, timeout=2.0, retries=0) as client:
        for command, message in bad_commands(L, V):
            with pytest.raises(BoardErrorReply) as err:
                client.command(command)
            assert err.value.message == message, command[:40]
        assert client.name() == "embbert-q"


def test_fake_hard_fault_line_is_the_fault_handlers():
    literals = c_string_literals((FIRMWARE / "boards" / "common" / "fault.cc").read_text())
    line = HARDFAULT_LINE.removeprefix("e-[").removesuffix("]")
    assert composable(line, literals, [])
    assert composable(line, c_string_literals("x"), []) is False
