"""Accuracy on real examples, and device vs host agreement, example by example (resumable)."""

from board_tests.evaluate import evaluate, summarize
from board_tests.journal import Journal
from board_tests.metrics import allowed_abs_diff


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
    ag, kernels = summary["agreement"], board_info.get("kernels")
    # with every logit within the bound, a prediction can only change where the host's top two are closer than
    # twice the bound: for classification and regression tasks alike, the bound is the claim
    assert ag["max_abs_diff"] <= allowed_abs_diff(kernels), (
        f"{kernels} kernels: device logits differ from the host TFLM's by up to {ag['max_abs_diff']} LSB, more than "
        f"{allowed_abs_diff(kernels)} (board_tests/metrics.py): {ag['bit_exact']}/{ag['n']} exact, "
        f"examples {ag['differing_examples'][:10]}")
