"""Accuracy on real examples, and device vs host agreement, example by example (resumable)."""

from board_tests.artifacts import EXACT_KERNELS
from board_tests.evaluate import evaluate, summarize
from board_tests.journal import Journal


def test_accuracy_and_agreement(board, board_info, model, host_model, examples, run_report, opts, capsys):
    assert board_info.get("model_hash") == model.hash, (
        f"board runs model {board_info.get('model_hash')}, not {model.hash} from {model.folder}: evaluating it "
        "would score another model")
    if model.labels and not examples.regression:
        assert model.labels == examples.label_names, "the model's labels differ from the dataset's"
    journal = Journal(run_report.folder / "journal.jsonl", key={
        "model_hash": model.hash, "dataset": examples.task, "split": examples.split,
        "seq_len": model.seq_len, "board": board_info.get("board")})
    resumed = sum(journal.has(i) for i in range(len(examples)))
    quant, clock = host_model.output_quant(), run_report["run"]["clock_hz"]
    try:
        with capsys.disabled():  # the progress bar goes to the terminal, past pytest's capture
            records = evaluate(board, examples, host_model.run, journal, progress=True)
    except BaseException:  # interrupted or the board died: report what is done, then stop
        done = [journal.get(i) for i in range(len(examples)) if journal.has(i)]
        if done:
            partial = summarize(done, examples, output_quant=quant, clock_hz=clock)
            run_report["accuracy"] = {**partial, "interrupted": True, "resumed_from_journal": resumed}
        raise
    summary = summarize(records, examples, output_quant=quant, clock_hz=clock)
    summary["resumed_from_journal"] = resumed
    run_report["accuracy"] = summary
    run_report.write()  # a report exists even if a later test fails

    assert len(records) == len(examples) and all(r is not None for r in records)
    assert [r["index"] for r in records] == list(range(len(examples)))
    ag = summary["agreement"]
    if board_info.get("kernels") in EXACT_KERNELS:
        assert ag["bit_exact"] == ag["n"], (
            f"{board_info.get('kernels')} kernels must equal the host TFLM bit for bit: {ag['bit_exact']}/{ag['n']} exact, "
            f"max diff {ag['max_abs_diff']}, examples {ag['differing_examples'][:10]}")
    elif not examples.regression:
        assert ag["argmax_agree_rate"] >= 0.98, f"device and host disagree on {ag['n'] - ag['argmax_agree']} examples"
