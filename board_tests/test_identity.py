"""The board runs the model we expect: name, hash, shapes, and the converter's golden vectors."""

import re

import numpy as np
import pytest

from board_tests.client import BoardErrorReply, input_crc
from board_tests.metrics import allowed_abs_diff


def test_board_answers_its_name(board):
    assert board.name() == "embbert-q"


def test_model_is_ready(board, board_info, probe_ids):
    """The firmware allocated the model's tensors: a load and one inference go through."""
    try:
        board.run_example(probe_ids)
    except BoardErrorReply as e:
        if "not ready" in e.message or "allocate" in e.message:
            pytest.fail(f"the firmware cannot run the model: {e.message}; arena_size {board_info.get('arena_size')} B "
                        "is probably too small on the device (rebuild with a larger ARENA=...)", pytrace=False)
        raise


def test_model_hash_matches_converter_output(board_info, model, run_report):
    run_report.setdefault("identity", {}).update(
        {"board_model_hash": board_info.get("model_hash"), "expected_model_hash": model.hash})
    assert board_info.get("model_hash") == model.hash, (
        f"board runs model {board_info.get('model_hash')} but {model.folder} holds {model.hash}: "
        "rebuild and reflash the firmware with this model")


def test_model_shape_matches(board_info, model, run_report):
    got = {k: int(board_info[k]) for k in ("seq_len", "vocab", "classes", "model_bytes")}
    want = {"seq_len": model.seq_len, "vocab": model.vocab, "classes": model.num_classes,
            "model_bytes": len(model.tflite_bytes)}
    run_report.setdefault("identity", {}).update({f"board_{k}": v for k, v in got.items()})
    assert got == want
    assert int(board_info["protocol"]) == 2


def test_golden_vectors_reproduced(board, board_info, model, run_report):
    vectors = model.golden.get("vectors") or []
    if not vectors:
        pytest.skip("golden.json has no vectors")
    assert model.golden.get("model_hash") in (None, model.hash), "golden.json belongs to another model"
    exact = 0
    worst = 0
    for v in vectors:
        res = board.run_example(v["token_ids"])
        assert res.crc_input == input_crc(v["token_ids"], model.seq_len)
        diff = int(np.max(np.abs(np.asarray(res.logits) - np.asarray(v["logits"]))))
        worst = max(worst, diff)
        exact += diff == 0
    run_report.setdefault("identity", {}).update(
        {"golden_vectors": len(vectors), "golden_bit_exact": exact, "golden_max_abs_diff": worst})
    kernels = board_info.get("kernels")
    assert worst <= allowed_abs_diff(kernels), (
        f"{kernels} kernels: golden logits differ by up to {worst} LSB ({exact}/{len(vectors)} bit-exact), "
        f"more than the {allowed_abs_diff(kernels)} LSB these kernels may differ by (board_tests/metrics.py)")


def test_host_tokenizer_reproduces_golden_token_ids(model):
    """The host tokenizes as the converter did: golden texts give the golden token and segment ids."""
    if not model.info:
        pytest.skip("no model_info.json: golden texts were not made with the project's tokenizer")
    if model.info.get("pair"):
        pytest.skip("pair task: golden.json keeps only the first text of each pair")
    vectors = [v for v in model.golden.get("vectors") or []
               if isinstance(v.get("text"), str) and not re.fullmatch(r"<.*>", v["text"])]
    if not vectors:
        pytest.skip("golden.json has no real texts")
    from board_tests.data import encode_texts

    ids, seg = encode_texts([v["text"] for v in vectors], model.seq_len, tokenizer_path=model.tokenizer_path,
                            keep_head=model.keep_head)
    assert ids.tolist() == [v["token_ids"] for v in vectors]
    assert seg.tolist() == [v["segment_ids"] for v in vectors]
