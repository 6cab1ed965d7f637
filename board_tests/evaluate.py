"""The example loop: each example through the board and through the host interpreter, journaled one by one.

Example:

    records = evaluate(client, examples, host.run, journal)
    summary = summarize(records, examples, output_quant=(scale, zero_point), clock_hz=25e6)
"""

from __future__ import annotations

import time
from typing import Callable, Sequence

import numpy as np
from tqdm import tqdm

from board_tests import metrics
from board_tests.client import BoardClient, input_crc
from board_tests.data import Examples
from board_tests.journal import Journal
from keras_models.metrics import bootstrap_interval


def evaluate(client: BoardClient, examples: Examples, host_run: Callable[[np.ndarray, np.ndarray], Sequence[int]] | None,
             journal: Journal, progress: bool = True,
             on_example: Callable[[int], None] | None = None) -> list[dict]:
    """Run every example not yet in `journal`; returns the records of all examples, in order.

    `host_run(token_ids, segment_ids)` gives the reference int8 logits (None: no host comparison).
    `on_example(i)` is called before example `i` is sent (tests use it to cut the link).
    """
    seq_len = examples.token_ids.shape[1]
    todo = []
    for i in range(len(examples)):
        crc = input_crc(examples.token_ids[i], seq_len)
        if not journal.has(i, crc):
            todo.append((i, crc))
    bar = tqdm(total=len(examples), initial=len(examples) - len(todo), desc=f"{examples.task}/{examples.split}",
               unit="ex", disable=not progress, dynamic_ncols=True, leave=True, mininterval=0.5)
    try:
        for i, crc in todo:
            if on_example:
                on_example(i)
            ids, seg = examples.token_ids[i], examples.segment_ids[i]
            host = [int(v) for v in host_run(ids, seg)] if host_run else None
            t0 = time.monotonic()
            res = client.run_example(ids.tolist())
            label = examples.labels[i]
            journal.append({
                "index": i, "input_crc": crc, "label": float(label) if examples.regression else int(label),
                "device": res.logits, "host": host, "cycles": res.cycles[0], "crc_output": res.crc_output,
                "tokens": int(np.count_nonzero(ids)), "wall_s": round(time.monotonic() - t0, 4),
            })
            bar.update(1)
    finally:
        bar.close()
    return [journal.get(i) for i in range(len(examples))]


def summarize(records: list[dict], examples: Examples, output_quant: tuple[float, int] = (1.0, 0),
              clock_hz: float | None = None) -> dict:
    """Accuracy (task metric, per class, confusion), device/host agreement, per-example cycles."""
    device = [r["device"] for r in records]
    labels = [r["label"] for r in records]
    out: dict = {"task": examples.task, "split": examples.split, "source": examples.source,
                 "n": len(records), "split_total": examples.total, "metric": examples.metric}

    def predictions(outputs):
        if examples.regression:
            return [float(metrics.dequantize(o, *output_quant)[0]) for o in outputs]
        return [int(np.argmax(o)) for o in outputs]

    def scores(predicted):
        if examples.regression:
            return metrics.regression_scores(labels, predicted)
        return metrics.classification_scores(labels, predicted, examples.label_names, examples.metric)

    device_predictions = predictions(device)
    out["device"] = scores(device_predictions)
    primary = out["device"]["primary"]
    if len(records) > 1:
        primary["interval_95"] = list(bootstrap_interval(primary["name"], labels, device_predictions))
    hosts = [r["host"] for r in records if r.get("host") is not None]
    if len(hosts) == len(records) and records:
        out["host"] = scores(predictions(hosts))
        out["agreement"] = metrics.agreement(device, hosts)
        out["agreement"]["differing_examples"] = [r["index"] for r in records if r["device"] != r["host"]][:50]
    out["example_latency"] = metrics.latency_stats([r["cycles"] for r in records], clock_hz)
    out["example_cycles"] = [r["cycles"] for r in records]
    return out
