"""The host side of the text commands (board_tests/text_commands.py): escaping and reply parsing."""

import pytest

from board_tests.client import ProtocolError
from board_tests.text_commands import escape_text, parse_text_reply, text_command


def test_escape_text_protects_the_terminator_the_separator_and_the_backslash():
    assert escape_text("50% off | C:\\dir") == "50\\% off \\| C:\\\\dir"
    assert escape_text("plain text, ünïcode") == "plain text, ünïcode"


def test_text_command_forms():
    assert text_command("classify", "a%b") == "classify a\\%b"
    assert text_command("tokenize", "a|b", "c") == "tokenize-pair a\\|b|c"


def test_parse_classify_reply():
    lines = ["m-tokens=2,1444,1418", "m-label-[PlayMusic]", "m-logits=-5,12,-128", "m-tokenize-cycles=25060",
             "m-infer-cycles=80428440"]
    r = parse_text_reply(lines, infer=True)
    assert (r.tokens, r.label, r.logits, r.tokenize_cycles, r.infer_cycles) == (
        [2, 1444, 1418], "PlayMusic", [-5, 12, -128], 25060, 80428440)
    assert parse_text_reply(lines[:1] + lines[3:4], infer=False).tokens == [2, 1444, 1418]


def test_incomplete_reply_is_a_protocol_error():
    with pytest.raises(ProtocolError):
        parse_text_reply(["m-tokens=2,5"], infer=False)
    with pytest.raises(ProtocolError):
        parse_text_reply(["m-tokens=2,5", "m-tokenize-cycles=10", "m-logits=1"], infer=True)
