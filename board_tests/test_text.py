"""Text mode: the board tokenizes the examples' text itself (`tokenize`, `classify`, firmware/PROTOCOL.md).

Its ids must equal the host tokenizer's on every example whose characters the firmware supports, the others
must be rejected naming the first unsupported character, and the label it finds from its own tokenization
must be the host pipeline's. The fake board has no tokenizer: on `--port fake` these tests are deselected
(board_tests/conftest.py).
"""

from __future__ import annotations

import numpy as np
import pytest

from board_tests import metrics
from board_tests.client import BoardErrorReply
from board_tests.text_commands import classify, text_command, tokenize

MISMATCHES_SHOWN = 10


@pytest.fixture(scope="session")
def supported_code_points(model) -> set[int]:
    from convert.tokenizer_tables import build_tables

    return set(build_tables(model.tokenizer_path).codepoints)


def _first_unsupported(texts, supported) -> int | None:
    for text in texts:
        for c in text or "":
            if ord(c) not in supported:
                return ord(c)
    return None


def _host_tokens(row: np.ndarray) -> list[int]:
    ids = [int(t) for t in row]
    while ids and ids[-1] == 0:
        ids.pop()
    return ids


def _texts(examples, i):
    return examples.texts[i], examples.pairs[i] if examples.pairs is not None else None


def _check_text(board, examples, i, supported, command):
    """(outcome, result or None, detail): outcome is 'identical', 'rejected' or 'mismatch'."""
    text, pair = _texts(examples, i)
    want = _host_tokens(examples.token_ids[i])
    bad = _first_unsupported((text, pair), supported)
    try:
        result = command(board, text, pair)
    except BoardErrorReply as e:
        if bad is not None and e.message.startswith(f"unsupported character U+{bad:04X} "):
            return "rejected", None, e.message
        return "mismatch", None, f"board: e-[{e.message}]; host: {want}"
    if bad is None and result.tokens == want:
        return "identical", result, ""
    if bad is not None:
        return "mismatch", result, f"U+{bad:04X} is not supported but the board answered {result.tokens}"
    return "mismatch", result, f"board: {result.tokens}; host: {want}"


def _tally(board, examples, supported, command, indices, progress_label, capsys):
    from tqdm import tqdm

    counts = {"identical": 0, "rejected": 0, "mismatch": 0}
    mismatches, results = [], {}
    with capsys.disabled():
        for i in tqdm(indices, desc=progress_label, unit="text", dynamic_ncols=True, mininterval=0.5):
            outcome, result, detail = _check_text(board, examples, i, supported, command)
            counts[outcome] += 1
            if result is not None:
                results[i] = result
            if outcome == "mismatch" and len(mismatches) < MISMATCHES_SHOWN:
                text, pair = _texts(examples, i)
                mismatches.append({"index": i, "text": text[:200], "pair": (pair or "")[:200] or None,
                                   "detail": detail[:400]})
    unsupported = sum(_first_unsupported(_texts(examples, i), supported) is not None for i in indices)
    return counts, unsupported, mismatches, results


def _cycle_stats(values: list[int]) -> dict:
    if not values:
        return {}
    v = np.asarray(values, dtype=np.float64)
    return {"mean": float(v.mean()), "median": float(np.median(v)), "max": int(v.max()), "min": int(v.min())}


def test_board_tokenizes_every_example_like_the_host(board, examples, supported_code_points, run_report, capsys):
    counts, unsupported, mismatches, results = _tally(
        board, examples, supported_code_points, tokenize, range(len(examples)),
        f"tokenize {examples.task}/{examples.split}", capsys)
    n = len(examples)
    section = run_report.setdefault("text", {})
    section["tokenize"] = {
        "n": n, "supported": n - unsupported, "identical": counts["identical"], "unsupported": unsupported,
        "rejected": counts["rejected"], "mismatches": mismatches,
        "tokenize_cycles": _cycle_stats([r.tokenize_cycles for r in results.values()]),
    }
    run_report.write()
    assert counts["identical"] == n - unsupported and counts["rejected"] == unsupported, (
        f"{counts['mismatch']} of {n} texts tokenized differently from the host; first: {mismatches[:3]}")


def test_label_from_the_boards_own_tokenization(board, board_info, examples, host_model, model, opts,
                                                supported_code_points, run_report, capsys):
    limit = len(examples) if opts.classify_limit < 0 else min(opts.classify_limit, len(examples))
    counts, unsupported, mismatches, results = _tally(
        board, examples, supported_code_points, classify, range(limit),
        f"classify {examples.task}/{examples.split}", capsys)
    classified = sorted(i for i in results if _first_unsupported(_texts(examples, i), supported_code_points) is None)
    host_logits = {i: host_model.run(examples.token_ids[i], examples.segment_ids[i]) for i in classified}
    names = model.labels or [str(k) for k in range(model.num_classes)]
    same_label = sum(results[i].label == names[int(np.argmax(host_logits[i]))] for i in classified)
    bit_exact = sum(results[i].logits == [int(v) for v in host_logits[i]] for i in classified)
    section = run_report.setdefault("text", {})
    section["classify"] = {
        "n": limit, "identical_tokens": counts["identical"], "rejected": counts["rejected"],
        "unsupported": unsupported, "mismatches": mismatches, "same_label_as_host": same_label,
        "bit_exact_logits": bit_exact, "classified": len(classified),
        "tokenize_cycles": _cycle_stats([results[i].tokenize_cycles for i in classified]),
        "infer_cycles": _cycle_stats([results[i].infer_cycles for i in classified]),
    }
    if classified and not examples.regression:
        predictions = [int(np.argmax(results[i].logits)) for i in classified]
        labels = [int(examples.labels[i]) for i in classified]
        section["classify"]["device"] = metrics.classification_scores(labels, predictions, examples.label_names,
                                                                      examples.metric)
    run_report.write()
    assert counts["identical"] == limit - unsupported and counts["rejected"] == unsupported, mismatches[:3]
    if board_info.get("kernels") == "reference":
        assert bit_exact == len(classified), "reference kernels must give the host TFLM's logits bit for bit"
    if not examples.regression:
        assert same_label >= 0.98 * len(classified), f"labels differ from the host's on {len(classified) - same_label}"
    ratios = [results[i].tokenize_cycles / results[i].infer_cycles for i in classified]
    assert not ratios or max(ratios) <= 0.05, f"tokenizing took up to {max(ratios):.1%} of an inference"


def _error(board, command: str) -> str:
    with pytest.raises(BoardErrorReply) as e:
        board.command(command)
    return e.value.message


def test_bad_text_is_answered_with_an_error_and_the_board_keeps_serving(board, model):
    from keras_models.tokenizer import encode, load_tokenizer

    assert _error(board, "tokenize I said \u0416!") == "unsupported character U+0416 at byte 7 of the text"
    assert _error(board, "classify caf\udcc3(") == "invalid UTF-8 at byte 4 of the text"
    assert _error(board, "tokenize-pair fine|ok \U0002A6D6") == "unsupported character U+2A6D6 at byte 3 of the second text"
    assert _error(board, "tokenize " + "a" * 600) == "word longer than 512 characters at byte 512 of the text"
    assert _error(board, "classify-pair no separator") == "a pair needs two texts separated by an unescaped '|'"
    assert _error(board, "tokenize-pair a|b|c") == "a pair takes exactly one unescaped '|'"
    assert _error(board, "classify").startswith("missing text: ")
    # Escapes: a literal %, | and backslash; the ids are the host's for the unescaped text.
    text, pair = "50% off | C:\\dir", "100%|"
    want, _ = encode(load_tokenizer(model.tokenizer_path), [text], model.seq_len, [pair])
    assert tokenize(board, text, pair).tokens == _host_tokens(want[0])
    assert text_command("tokenize", text, pair) == "tokenize-pair 50\\% off \\| C:\\\\dir|100\\%\\|"
    assert board.name() == "embbert-q"
