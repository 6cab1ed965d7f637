"""The firmware's tokenizer (firmware/src/text_*.cc, bpe_merge.cc, token_packer.cc), built for the host with
g++ over the converter's tables, against the Hugging Face tokenizer: edge cases, the head + tail cut of long
texts (`keep_head`), then real texts of several tasks (pairs included). The full check over every split of
every task is `python firmware/scripts/check_tokenizer.py`.
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


def _board(host_tokenizer, texts, pairs=None, seq_len=64, keep_head=None):
    lines = check_tokenizer.run_host_tokenizer(host_tokenizer[0], seq_len, texts, pairs, keep_head)
    return [check_tokenizer.padded(line, seq_len) or line for line in lines]


def _host(hf, texts, pairs=None, seq_len=64, keep_head=None):
    ids, _ = encode(hf, texts, seq_len, pairs, keep_head)
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


@pytest.fixture(scope="module")
def one_id_words(hf):
    """Lowercase words that are one id each, all different: a text of n of them is n ids, in a known order."""
    vocab = hf.get_vocab()
    words = sorted(w for w in vocab if w.isascii() and w.isalpha() and w.islower() and len(w) > 2)[:1200]
    words = [w for w in words if hf.encode(w, add_special_tokens=False).ids == [vocab[w]]]
    assert len(words) > 1000
    return words


@pytest.mark.parametrize("seq_len", [8, 64])
def test_head_and_tail_truncation_matches_hugging_face(host_tokenizer, hf, one_id_words, seq_len):
    budget = seq_len - 1
    # Distinct ids, so that a ring put back in the wrong order shows; up to several times L (the ring wraps).
    lengths = [0, 1, budget - 1, budget, budget + 1, budget + 2, 2 * budget + 1, 5 * seq_len + 3, 15 * seq_len + 1]
    texts = [" ".join(one_id_words[(7 * n + i) % len(one_id_words)] for i in range(n)) for n in lengths]
    # Words of several ids, punctuation and added tokens streaming through the ring.
    texts += [" ".join(EDGE_CASES) * 3, "a[SEP]b, [CLS] c. " * 40, "Hello, World! " * (seq_len // 2)]
    for keep_head in sorted({0, 1, budget // 2, budget - 1, budget, budget + 3}):
        want = _host(hf, texts, seq_len=seq_len, keep_head=keep_head)
        assert _board(host_tokenizer, texts, seq_len=seq_len, keep_head=keep_head) == want, keep_head
    if budget > 2:  # the tail is kept (not the old head-only cut)
        assert _host(hf, texts[-4:], seq_len=seq_len, keep_head=1) != _host(hf, texts[-4:], seq_len=seq_len)


def test_head_and_tail_still_rejects_a_word_too_long(host_tokenizer, one_id_words):
    prefix = " ".join(one_id_words[:200]) + " "
    long_word = "x" * 600
    offset = len(prefix.encode()) + 512
    for keep_head in (None, 0, 10):
        assert _board(host_tokenizer, [long_word], keep_head=keep_head) == ["error 3 512 0"]
    # Past the head, its ids could be in the tail: still an error with a tail, dropped unread without one.
    for keep_head in (0, 10, 62):
        assert _board(host_tokenizer, [prefix + long_word], keep_head=keep_head) == [f"error 3 {offset} 0"]
    assert isinstance(_board(host_tokenizer, [prefix + long_word])[0], list)


def test_pairs_ignore_keep_head(host_tokenizer, hf):
    long_a, long_b, short = "word and more " * 80, "other thing " * 50, "tiny"
    texts, pairs = [long_a, short, long_a, ""], [short, long_b, long_b, ""]
    for seq_len in (8, 64):
        want = _host(hf, texts, pairs, seq_len)
        assert _host(hf, texts, pairs, seq_len, keep_head=3) == want
        assert _board(host_tokenizer, texts, pairs, seq_len, keep_head=3) == want


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


@pytest.mark.parametrize("task,split,limit,keep_head", [
    ("snips", "validation", None, None), ("emotion", "validation", None, None), ("rte", "validation", None, None),
    ("mrpc", "validation", None, None), ("cyberbullying", "validation", 3000, None),
    ("imdb", "validation", 500, None), ("imdb", "validation", 500, 16), ("rte", "validation", None, 16),
])
def test_real_texts_match_hugging_face(host_tokenizer, hf, task, split, limit, keep_head):
    from keras_models.data import load_task
    from keras_models.paths import data_dir

    try:
        data = load_task(task).splits[split]
    except FileNotFoundError:
        pytest.skip(f"{task} not found under {data_dir()}")
    if limit is not None and limit < len(data):
        data = data.take(range(limit))
    seq_len = 128 if data.pairs is not None else 64
    ids, _ = encode(hf, data.texts, seq_len, data.pairs, keep_head)
    lines = check_tokenizer.run_host_tokenizer(host_tokenizer[0], seq_len, data.texts, data.pairs, keep_head)
    result = check_tokenizer.compare(lines, ids, data.texts, data.pairs, host_tokenizer[1])
    assert result["mismatches"] == []
    assert result["matched"] == result["supported"] > 0.95 * len(data.texts)
    assert result["rejected"] == result["unsupported"]
