"""The text-mode section of the board report (`test_text.py` fills `rep["text"]`)."""

from __future__ import annotations


def _cycles(stats: dict) -> str:
    if not stats:
        return "–"
    return f"median {stats['median']:,.0f}, max {stats['max']:,}"


def text_summary_lines(rep: dict) -> list[str]:
    text = rep.get("text") or {}
    out = []
    tok = text.get("tokenize")
    if tok:
        out.append(f"text mode: board tokenization identical to the host on {tok['identical']}/{tok['supported']} "
                   f"texts; {tok['rejected']}/{tok['unsupported']} with unsupported characters rejected; "
                   f"tokenize cycles {_cycles(tok.get('tokenize_cycles'))}")
    cls = text.get("classify")
    if cls:
        primary = (cls.get("device") or {}).get("primary")
        score = f", {primary['name']} {primary['value']:.4f}" if primary else ""
        out.append(f"text mode: {cls['classified']} examples classified from their text, label as the host's on "
                   f"{cls['same_label_as_host']}{score}; inference cycles {_cycles(cls.get('infer_cycles'))}")
    return out


def text_markdown(rep: dict) -> list[str]:
    text = rep.get("text")
    if not text:
        return []
    md = ["## Text mode (the board's own tokenizer)", ""]
    md += [f"- {line}" for line in text_summary_lines(rep)] + [""]
    for name in ("tokenize", "classify"):
        mismatches = (text.get(name) or {}).get("mismatches") or []
        if mismatches:
            md += [f"First mismatches ({name}):", ""]
            md += [f"- example {m['index']}: {m['text']!r}" + (f" | {m['pair']!r}" if m.get("pair") else "")
                   + f": {m['detail']}" for m in mismatches] + [""]
    return md
