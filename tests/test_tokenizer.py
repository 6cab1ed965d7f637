import numpy as np
import pytest

from keras_models.config import SPECIAL_TOKENS
from keras_models.tokenizer import encode, load_tokenizer, segment_ids_for


@pytest.fixture(scope="module")
def tokenizer():
    return load_tokenizer()


def test_shipped_tokenizer_has_8192_tokens_and_the_special_ids(tokenizer):
    assert tokenizer.get_vocab_size() == 8192
    assert [tokenizer.token_to_id(t) for t in SPECIAL_TOKENS] == [0, 1, 2, 3, 4]


def test_single_text_is_cls_then_tokens_then_padding(tokenizer):
    ids, segments = encode(tokenizer, ["Play some music"], 8)
    words = tokenizer.encode("play some music", add_special_tokens=False).ids
    assert ids.dtype == np.int32 and ids.shape == (1, 8)
    assert ids[0].tolist() == [2] + words + [0] * (7 - len(words))
    assert segments[0].tolist() == [1] * (1 + len(words)) + [0] * (7 - len(words))


def test_pair_is_cls_a_sep_b_with_segments(tokenizer):
    ids, segments = encode(tokenizer, ["a cat"], 10, pairs=["a dog"])
    a = tokenizer.encode("a cat", add_special_tokens=False).ids
    b = tokenizer.encode("a dog", add_special_tokens=False).ids
    used = 2 + len(a) + len(b)
    assert ids[0, :used].tolist() == [2] + a + [4] + b
    assert segments[0].tolist() == [1] * (1 + len(a)) + [2] * (1 + len(b)) + [0] * (10 - used)


def test_long_inputs_are_truncated_to_the_sequence_length(tokenizer):
    ids, _ = encode(tokenizer, ["word " * 100], 16)
    assert ids.shape == (1, 16) and ids[0, 0] == 2 and np.all(ids[0] != 0)
    ids, segments = encode(tokenizer, ["one " * 30], 16, pairs=["two three"])
    assert ids[0, -3] == 4, "the short second text survives longest-first truncation"
    assert segments[0].tolist() == [1] * 13 + [2] * 3


def test_keep_head_keeps_the_first_ids_then_the_last_ones_of_a_text_too_long(tokenizer):
    text = " ".join(f"w{i}" for i in range(40))
    words = tokenizer.encode(text, add_special_tokens=False).ids
    assert len(words) > 15
    ids, segments = encode(tokenizer, [text, "short one"], 16, keep_head=4)
    assert ids[0].tolist() == [2] + words[:4] + words[-11:]
    assert segments[0].tolist() == [1] * 16
    assert ids[1].tolist() == encode(tokenizer, ["short one"], 16)[0][0].tolist(), "a text that fits is not cut"
    assert encode(tokenizer, [text], 16, keep_head=0)[0][0].tolist() == [2] + words[-15:]
    head_only = encode(tokenizer, [text], 16)[0][0].tolist()
    assert head_only == [2] + words[:15]
    assert encode(tokenizer, [text], 16, keep_head=15)[0][0].tolist() == head_only
    pair = encode(tokenizer, [text], 16, pairs=["two three"], keep_head=4)[0]
    assert pair.tolist() == encode(tokenizer, [text], 16, pairs=["two three"])[0].tolist(), "pairs ignore it"
    with pytest.raises(ValueError, match="keep_head must be at least 0"):
        encode(tokenizer, [text], 16, keep_head=-1)


def test_segment_rule():
    assert segment_ids_for(np.array([2, 9, 4, 9, 4, 9, 0, 0])).tolist() == [1, 1, 2, 2, 2, 2, 0, 0]


def test_too_short_sequence_and_missing_file_are_clear_errors(tokenizer, tmp_path):
    with pytest.raises(ValueError, match="seq_len must be at least 3"):
        encode(tokenizer, ["x"], 2)
    with pytest.raises(FileNotFoundError, match="tokenizer file not found"):
        load_tokenizer(tmp_path / "missing.json")
