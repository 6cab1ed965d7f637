"""Accuracy on real examples, and device vs host agreement, example by example (resumable)."""

from board_tests.evaluate import evaluate, summarize
from board_tests.journal import Journal


def test_accuracy_and_agreement(board, board_info, model, host_model, examples, run_report, opts, capsys):
    if model.labels and not examples.regression:
        assert model.labels == examples.label_names, "the model's labels differ from the dataset's"
    journal = Journal(run_report.folder / "journal.jsonl", key={
        "model_hash": model.hash, "dataset": examples.task, "split": examples.split,
        "seq_len": model.seq_len, "board": board_info.get("board")})
    resumed = len([i for i in range(len(examples)) if journal.has(i)])
    with capsys.disabled():  # the progress bar goes to the terminal, past pytest's capture
        records = evaluate(board, examples, host_model.run, journal, progress=True)
    summary = summarize(records, examples, output_quant=host_model.output_quant(),
                        clock_hz=run_report["run"]["clock_hz"])
    summary["resumed_from_journal"] = resumed
    run_report["accuracy"] = summary
    run_report.write()  # a report exists even if a later test fails

    assert len(records) == len(examples) and all(r is not None for r in records)
    assert [r["index"] for r in records] == list(range(len(examples)))
    ag = summary["agreement"]
    if board_info.get("kernels") == "reference":
        assert ag["bit_exact"] == ag["n"], (
            f"reference kernels must equal the host TFLM bit for bit: {ag['bit_exact']}/{ag['n']} exact, "
            f"max diff {ag['max_abs_diff']}, examples {ag['differing_examples'][:10]}")
    elif not examples.regression:
        assert ag["argmax_agree_rate"] >= 0.98, f"device and host disagree on {ag['n'] - ag['argmax_agree']} examples"
