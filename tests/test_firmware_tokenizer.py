"""The firmware's tokenizer (firmware/src/text_*.cc, bpe_merge.cc, token_packer.cc), built for the host with
g++ over the converter's tables, against the Hugging Face tokenizer: edge cases, then real texts of
several tasks (pairs included). The full check over every split of every task is
`python firmware/scripts/check_tokenizer.py`.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "firmware" / "scripts"))

import check_tokenizer  # noqa: E402

from keras_models.paths import TOKENIZER_PATH  # noqa: E402
from keras_models.tokenizer import encode, load_tokenizer  # noqa: E402

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed")


@pytest.fixture(scope="module")
def host_tokenizer(tmp_path_factory):
    binary, tables = check_tokenizer.build_host_tokenizer(tmp_path_factory.mktemp("tok"), TOKENIZER_PATH)
    return binary, set(tables.codepoints), tables


@pytest.fixture(scope="module")
def hf():
    return load_tokenizer()


def _board(host_tokenizer, texts, pairs=None, seq_len=64):
    lines = check_tokenizer.run_host_tokenizer(host_tokenizer[0], seq_len, texts, pairs)
    return [check_tokenizer.padded(line, seq_len) or line for line in lines]


def _host(hf, texts, pairs=None, seq_len=64):
    ids, _ = encode(hf, texts, seq_len, pairs)
    return [[int(t) for t in row] for row in ids]


EDGE_CASES = [
    "", " ", "Hello, World!", "CAFÉ crème brûlée naïve Ångström", "don't stop—it’s “fine”…",
    "a[SEP]b [CLS]x [sep] [SEP", "[[MASK]] [PAD][UNK]", "tab\tnew\nline\r\nend", "ctrl\x00\x07\x1b[0m\x7f chars",
    "soft\u00adhyphen and\u00a0nbsp", "e\u0301clair", "ÆØÅ æøå ß ẞ İstanbul", "£100 €5 ¥3 ½ ¼ ° ± × ÷",
    "emoji ❤️ 😂😂 🎉", "中大 text 山川", "x" * 300, "a-b_c.d,e;f:g!h?i(j)k[l]m{n}o", "http://example.com/a?b=c&d=e",
    "   leading and trailing   ", "%50 off | 100% \\ back",
]


def test_edge_cases_match_hugging_face(host_tokenizer, hf):
    assert _board(host_tokenizer, EDGE_CASES) == _host(hf, EDGE_CASES)


def test_pairs_are_packed_with_longest_first_truncation(host_tokenizer, hf):
    long_a, long_b, short = "word " * 80, "other thing " * 50, "tiny"
    texts = [long_a, short, long_a, "", "a [SEP] b"]
    pairs = [short, long_b, long_b, "", "c"]
    for seq_len in (8, 64, 128):
        assert _board(host_tokenizer, texts, pairs, seq_len) == _host(hf, texts, pairs, seq_len)


def test_unsupported_and_invalid_input_is_rejected(host_tokenizer):
    supported = host_tokenizer[1]
    cyrillic = "Ж"
    assert ord(cyrillic) not in supported and ord("é") in supported
    lines = _board(host_tokenizer, [f"ok {cyrillic}", "fine é"])
    assert lines[0] == f"error 2 3 {ord(cyrillic)}"  # kUnsupported at byte 3
    assert isinstance(lines[1], list) and lines[1][0] == 2
    binary = host_tokenizer[0]
    for raw, want in [(b"caf\xc3(", "error 1 4 0"), (b"\xc0\xaf", "error 1 0 0"), (b"ab\xe2\x80", "error 1 4 0"),
                      (b"\xed\xa0\x80", "error 1 2 0"), (b"a" * 513, "error 3 512 0")]:
        record = f"64 0 {len(raw)} 0\n".encode() + raw
        out = subprocess.run([str(binary)], input=record, capture_output=True, check=True).stdout.decode().strip()
        assert out == want, raw


def test_table_size_is_within_budget(host_tokenizer):
    tables = host_tokenizer[2]
    assert tables.total_bytes <= 100 * 1024
    assert set(tables.byte_sizes()) == {"fold", "characters", "merges", "special"}


@pytest.mark.parametrize("task,split,limit", [
    ("snips", "validation", None), ("emotion", "validation", None), ("rte", "validation", None),
    ("mrpc", "validation", None), ("cyberbullying", "validation", 3000), ("imdb", "validation", 500),
])
def test_real_texts_match_hugging_face(host_tokenizer, hf, task, split, limit):
    from keras_models.data import load_task
    from keras_models.paths import data_dir

    try:
        data = load_task(task).splits[split]
    except FileNotFoundError:
        pytest.skip(f"{task} not found under {data_dir()}")
    if limit is not None and limit < len(data):
        data = data.take(range(limit))
    seq_len = 128 if data.pairs is not None else 64
    ids, _ = encode(hf, data.texts, seq_len, data.pairs)
    lines = check_tokenizer.run_host_tokenizer(host_tokenizer[0], seq_len, data.texts, data.pairs)
    result = check_tokenizer.compare(lines, ids, data.texts, data.pairs, host_tokenizer[1])
    assert result["mismatches"] == []
    assert result["matched"] == result["supported"] > 0.95 * len(data.texts)
    assert result["rejected"] == result["unsupported"]
