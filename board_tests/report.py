"""Writes a board run's report: `report.json` (everything), `report.md` (what a person reads first) and PNG
plots (latency distribution, per-op cycles, confusion matrix); `summary_lines` is the short summary
printed at the end of the pytest run.

The report is a plain dict with optional sections: `run`, `identity`, `accuracy`, `latency`, `memory`,
`profile`, `robustness`, `link`. Missing sections are reported as not measured.
"""

from __future__ import annotations

import json
import math
import pathlib

import numpy as np

from board_tests.text_report import text_markdown, text_summary_lines


def _fmt(v, digits=4) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        if math.isnan(v):
            return "n/a"
        if v.is_integer() and abs(v) >= 1000:
            return f"{int(v):,}"
        return f"{v:.{digits}f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def _kb(b) -> str:
    return "–" if b is None else f"{b / 1024:.1f} KiB ({b:,} B)"


def _pct(v) -> str:
    return "n/a" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{100 * v:.2f} %"


def op_breakdown(ops: list[tuple[str, int]]) -> list[dict]:
    """Cycles per op type, largest first, with each type's share of the total."""
    total = sum(c for _, c in ops) or 1
    by: dict[str, dict] = {}
    for name, cyc in ops:
        d = by.setdefault(name, {"op": name, "count": 0, "cycles": 0})
        d["count"] += 1
        d["cycles"] += cyc
    rows = sorted(by.values(), key=lambda d: -d["cycles"])
    for d in rows:
        d["share"] = d["cycles"] / total
    return rows


def _cycle_note(run: dict) -> str:
    if run.get("fake"):
        return "Fake board (pure Python): cycle counts and memory figures are synthetic, only the logits are real."
    if run.get("emulated"):
        return ("Under QEMU the cycle counts are executed-instruction counts (`-icount`), deterministic but "
                "not real Cortex-M4 cycles; the microseconds assume one instruction per cycle at the "
                f"configured {_fmt(run.get('clock_hz'))} Hz and are not a real-board time.")
    return f"Cycles from the board's {run.get('cycle_source', '?')} counter at {_fmt(run.get('clock_hz'))} Hz."


def summary_lines(rep: dict) -> list[str]:
    run = rep.get("run", {})
    out = [f"board {run.get('board', '?')} ({run.get('port', '?')}), model {run.get('model_name', '?')} "
           f"#{run.get('model_hash', '?')} L={run.get('seq_len', '?')}, kernels {run.get('kernels', '?')}"]
    acc = rep.get("accuracy")
    if acc:
        p = acc["device"]["primary"]
        line = (f"{acc['task']}/{acc['split']}: {p['name']} {p['value']:.4f}"
                + (" (95% interval {:.4f}–{:.4f})".format(*p["interval_95"]) if p.get("interval_95") else "")
                + f" on {acc['n']} of {acc['split_total']} examples")
        if "host" in acc:
            line += f" (host TFLM {acc['host']['primary']['value']:.4f})"
        if acc.get("interrupted"):
            line += " — INTERRUPTED: run again with the same options to resume"
        out.append(line)
        ag = acc.get("agreement")
        if ag:
            out.append(f"device vs host: {ag['bit_exact']}/{ag['n']} bit-exact, max |diff| {ag['max_abs_diff']}, "
                       f"argmax agree {_pct(ag['argmax_agree_rate'])}")
    lat = rep.get("latency")
    if lat and lat.get("runs"):
        unit = "instructions" if run.get("emulated") else "cycles"
        us = f", {lat['us_median'] / 1000:.2f} ms at {run.get('clock_hz', 0) / 1e6:g} MHz" if "us_median" in lat else ""
        out.append(f"latency ({lat['runs']} runs, {lat.get('warmup', 0)} warm-up): median {lat['cycles_median']:,.0f} "
                   f"{unit} [min {lat['cycles_min']:,.0f}, max {lat['cycles_max']:,.0f}]{us}"
                   + (" — QEMU instruction counts, not real-board time" if run.get("emulated") else "")
                   + (" — fake board, synthetic" if run.get("fake") else ""))
    mem = rep.get("memory")
    if mem:
        out.append(f"memory: arena {_kb(mem.get('arena_used'))} used of {_kb(mem.get('arena_size'))}, stack "
                   f"{_kb(mem.get('stack_used'))}, peak RAM {_kb(mem.get('peak_ram'))}, flash {_kb(mem.get('flash'))}"
                   + (f" (model {mem['flash_model'] / 1024:.1f} KiB + code {mem['flash_code'] / 1024:.1f} KiB)"
                      if mem.get("flash_model") is not None and mem.get("flash_code") is not None else ""))
    prof = rep.get("profile")
    if prof and prof.get("by_type"):
        top = ", ".join(f"{d['op']} {100 * d['share']:.0f}%" for d in prof["by_type"][:4])
        out.append(f"top ops: {top}")
    out += text_summary_lines(rep)
    if run.get("wall_s") is not None:
        out.append(f"wall time {run['wall_s']:.0f} s; report: {run.get('report_dir', '')}")
    return out


def write_report(folder: str | pathlib.Path, rep: dict) -> dict[str, pathlib.Path]:
    """Writes report.json, report.md and the plots into `folder`; returns the paths written."""
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"json": folder / "report.json", "md": folder / "report.md"}
    plots = _plots(folder, rep)
    paths.update(plots)
    rep = {**rep, "plots": {k: v.name for k, v in plots.items()}}
    paths["json"].write_text(json.dumps(rep, indent=1, sort_keys=False, default=_json_default) + "\n")
    paths["md"].write_text(_markdown(rep))
    return paths


def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, pathlib.Path):
        return str(o)
    raise TypeError(type(o))


def _markdown(rep: dict) -> str:
    run = rep.get("run", {})
    md = [f"# Board report: {run.get('model_name', 'model')} on {run.get('board', '?')}", ""]
    md += ["## Summary", ""] + [f"- {l}" for l in summary_lines(rep)] + [""]
    if run.get("emulated") or run.get("fake"):
        md += ["> **Emulated board.** " + _cycle_note(run), ""]
    md += ["## Run", "", "| | |", "|---|---|"]
    for k in ("port", "board", "cpu", "clock_hz", "cycle_source", "kernels", "model_name", "model_hash",
              "model_folder", "seq_len", "started", "wall_s", "firmware_elf"):
        if k in run:
            md.append(f"| {k} | {_fmt(round(run[k], 1) if k == 'wall_s' else run[k])} |")
    md.append("")

    ident = rep.get("identity")
    if ident:
        md += ["## Identity", ""]
        md += [f"- {k}: {_fmt(v)}" for k, v in ident.items() if not isinstance(v, (list, dict))] + [""]

    acc = rep.get("accuracy")
    md += ["## Accuracy", ""]
    if not acc:
        md += ["Not measured in this run.", ""]
    else:
        dev = acc["device"]
        md += [f"Task `{acc['task']}`, split `{acc['split']}` ({acc['source']}): {acc['n']} of "
               f"{acc['split_total']} examples, tokenized on the host. Metric: **{acc['metric']}**."
               + (f" {acc['resumed_from_journal']} examples came from the journal of an earlier run (resumed, not re-run)."
                  if acc.get("resumed_from_journal") else ""), ""]
        md += ["| | device | host TFLM |", "|---|---|---|"]
        keys = ["spearman", "pearson", "mse"] if "spearman" in dev else ["accuracy", "mcc", "f1", "f1_weighted", "f1_macro"]
        for k in keys:
            md.append(f"| {k} | {_fmt(dev.get(k))} | {_fmt(acc.get('host', {}).get(k))} |")
        md.append("")
        if "per_class" in dev:
            md += ["| class | precision | recall | F1 | support |", "|---|---|---|---|---|"]
            for name, s in dev["per_class"].items():
                md.append(f"| {name} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} | {s['support']} |")
            md += ["", "Confusion matrix (rows: true, columns: predicted): `confusion.png`.", ""]
        ag = acc.get("agreement")
        if ag:
            md += ["### Device vs host interpreter", "",
                   f"- bit-exact outputs: {ag['bit_exact']} / {ag['n']} ({_pct(ag['bit_exact_rate'])})",
                   f"- max |logit difference|: {ag['max_abs_diff']} LSB (mean {ag['mean_abs_diff']:.4f})",
                   f"- argmax agreement: {ag['argmax_agree']} / {ag['n']} ({_pct(ag['argmax_agree_rate'])})", ""]
            if ag.get("differing_examples"):
                md += [f"- first differing examples: {ag['differing_examples'][:20]}", ""]

    lat = rep.get("latency")
    md += ["## Latency", ""]
    if not lat or not lat.get("runs"):
        md += ["Not measured in this run.", ""]
    else:
        md += [_cycle_note(run), "",
               f"{lat['runs']} measured runs after {lat.get('warmup', 0)} warm-up runs on one input (MLPerf Tiny "
               "style: min / median / max).", "",
               "| | cycles | µs |", "|---|---|---|"]
        for k in ("min", "median", "max", "mean", "std"):
            md.append(f"| {k} | {lat.get('cycles_' + k, 0):,.0f} | {_fmt(lat.get('us_' + k), 1)} |")
        md.append("")
        el = (acc or {}).get("example_latency")
        if el and el.get("runs"):
            md += [f"Per example over the dataset ({el['runs']} examples, one run each): median "
                   f"{el['cycles_median']:,.0f}, min {el['cycles_min']:,.0f}, max {el['cycles_max']:,.0f} cycles.", ""]

    mem = rep.get("memory")
    md += ["## Memory", ""]
    if not mem:
        md += ["Not measured in this run.", ""]
    else:
        md += ["| | bytes |", "|---|---|"]
        for k in ("arena_size", "arena_used", "stack_size", "stack_used", "static_ram", "static_ram_elf",
                  "peak_ram", "ram_reserved", "flash", "flash_elf", "flash_code", "flash_model"):
            if mem.get(k) is not None:
                md.append(f"| {k} | {_kb(mem[k])} |")
        md += ["", mem.get("peak_ram_formula", ""), ""]

    prof = rep.get("profile")
    md += ["## Per-op profile", ""]
    if not prof or not prof.get("by_type"):
        md += [prof.get("skipped", "Not measured in this run.") if prof else "Not measured in this run.", ""]
    else:
        unit = "instructions" if run.get("emulated") else "cycles"
        md += [f"One profiled inference, {prof['total']:,} {unit} in {len(prof['ops'])} operators "
               f"(`profile.png`).", "", f"| op | count | {unit} | share |", "|---|---|---|---|"]
        for d in prof["by_type"]:
            md.append(f"| {d['op']} | {d['count']} | {d['cycles']:,} | {100 * d['share']:.1f} % |")
        md.append("")

    md += text_markdown(rep)
    rob = rep.get("robustness")
    if rob:
        md += ["## Robustness", ""] + [f"- {k}: {v}" for k, v in rob.items()] + [""]
    link = rep.get("link")
    if link:
        md += ["## Link", "", ", ".join(f"{k} {v}" for k, v in link.items()), ""]
    if rep.get("plots"):
        md += ["## Plots", ""] + [f"![{k}]({v})" for k, v in rep["plots"].items()] + [""]
    return "\n".join(md)


def _save(fig, path: pathlib.Path) -> pathlib.Path:
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _plots(folder: pathlib.Path, rep: dict) -> dict[str, pathlib.Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from matplotlib.ticker import FuncFormatter, MaxNLocator

    out = {}
    run = rep.get("run", {})
    unit = ("instructions (QEMU)" if run.get("emulated") else "synthetic cycles (fake board)" if run.get("fake")
            else "cycles")
    def count_formatter(values):
        big = max(values) >= 1e6 if len(values) else False
        return FuncFormatter(lambda v, _: f"{v / 1e6:,.3f} M" if big else f"{v:,.0f}")

    lat = rep.get("latency") or {}
    acc = rep.get("accuracy") or {}
    runs = lat.get("cycles")
    per_example = acc.get("example_cycles")
    panels = [p for p in ("runs", "examples") if (runs if p == "runs" else per_example)]
    if panels:
        fig, axes = plt.subplots(1, len(panels), figsize=(6.5 * len(panels), 4.2), squeeze=False)
        for ax, p in zip(axes[0], panels):
            if p == "runs":
                s = np.asarray(runs, dtype=float)
                ax.plot(range(len(s)), s, "o-", ms=4)
                ax.axhline(np.median(s), color="k", linestyle="--", lw=0.8)
                ax.text(0.02, 0.96, f"min {s.min():,.0f}\nmedian {np.median(s):,.0f}\nmax {s.max():,.0f}",
                        transform=ax.transAxes, va="top", fontsize=9,
                        bbox={"boxstyle": "round", "fc": "white", "alpha": 0.8})
                spread = max(s.max() - s.min(), abs(s.max()) * 0.001, 1)
                ax.set_ylim(s.min() - spread, s.max() + spread)
                ax.set_xlabel(f"measured run (after {lat.get('warmup', 0)} warm-up)")
                ax.set_ylabel(unit)
                ax.xaxis.set_major_locator(MaxNLocator(integer=True))
                ax.yaxis.set_major_formatter(count_formatter(s))
                ax.set_title(f"{len(s)} runs of one input")
                ax.set_xlim(-0.5, len(s) - 0.5)
            else:
                s = np.asarray(per_example, dtype=float)
                if s.max() == s.min():
                    ax.bar([0], [len(s)], width=0.5)
                    ax.set_xticks([0], [f"{s[0]:,.0f}"])
                else:
                    ax.hist(s, bins=min(40, max(5, len(s) // 5)))
                    ax.xaxis.set_major_formatter(count_formatter(s))
                    ax.xaxis.set_major_locator(MaxNLocator(5))
                    ax.axvline(np.median(s), color="k", linestyle="--", label=f"median {np.median(s):,.0f}")
                    ax.legend(fontsize=8)
                ax.set_xlabel(unit)
                ax.set_ylabel("examples")
                ax.yaxis.set_major_locator(MaxNLocator(integer=True))
                ax.set_title(f"one inference per example ({len(s)} examples)")
        note = ("QEMU: instruction counts, not real-board time" if run.get("emulated")
                else "fake board: synthetic" if run.get("fake") else f"at {_fmt(run.get('clock_hz'))} Hz")
        fig.suptitle(f"Latency ({note})")
        fig.tight_layout()
        out["latency"] = _save(fig, folder / "latency.png")

    prof = rep.get("profile") or {}
    rows = prof.get("by_type")
    if rows:
        fig, ax = plt.subplots(figsize=(8, 0.45 * len(rows) + 1.2))
        names = [d["op"] for d in rows][::-1]
        shares = [100 * d["share"] for d in rows][::-1]
        bars = ax.barh(names, shares)
        for b, d in zip(bars, rows[::-1]):
            ax.text(b.get_width(), b.get_y() + b.get_height() / 2, f" {100 * d['share']:.1f}%  ({d['cycles']:,}, x{d['count']})",
                    va="center", fontsize=8)
        ax.set_xlabel(f"share of one inference's {unit} (%)")
        ax.set_xlim(0, max(shares) * 1.45)
        ax.set_title(f"Per-op profile: {prof.get('total', 0):,} {unit} in total")
        fig.tight_layout()
        out["profile"] = _save(fig, folder / "profile.png")

    dev = acc.get("device") or {}
    cm = dev.get("confusion")
    if cm:
        cm = np.asarray(cm)
        labels = dev.get("labels") or [str(i) for i in range(len(cm))]
        n = len(cm)
        fig, ax = plt.subplots(figsize=(max(4.5, 0.6 * n + 2.5), max(4, 0.6 * n + 2)))
        im = ax.imshow(cm, cmap="Blues")
        ax.set_xticks(range(n), labels, rotation=45, ha="right", fontsize=8)
        ax.set_yticks(range(n), labels, fontsize=8)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        thresh = cm.max() / 2 if cm.size else 0
        for i in range(n):
            for j in range(n):
                ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=8,
                        color="white" if cm[i, j] > thresh else "black")
        p = dev.get("primary", {})
        ax.set_title(f"{acc.get('task')}/{acc.get('split')} on device: {p.get('name')} {p.get('value', float('nan')):.3f}")
        fig.colorbar(im, ax=ax, fraction=0.046)
        fig.tight_layout()
        out["confusion"] = _save(fig, folder / "confusion.png")
    return out
