"""The report of one board run: its folder, its `run` section, and the sections the tests add to it.

The tests fill a `RunReport` (a dict of sections, see `board_tests/report.py`); the session writes it at the
end into `<report-dir>/<board>-<task>-<split>-<model hash>/`.

Example:

    rep = RunReport.for_run(report_dir, board="qemu", dataset="snips", split="validation", model_hash="8c64231f")
    rep["latency"] = {...}
    rep.write()
"""

from __future__ import annotations

import datetime
import os
import pathlib
import re

from board_tests import report
from keras_models.paths import repo_relative


def slug(s: str) -> str:
    """A folder name made of `s`: runs of other characters than letters, digits, `.`, `_`, `-` become `_`.

    >>> slug("/data/glue/cola/")
    'data_glue_cola'
    """
    return re.sub(r"[^A-Za-z0-9._-]+", "_", s.strip("/")).strip("_")


class RunReport(dict):
    """The report's sections, filled by the tests, written to `folder` at the end of the session."""

    def __init__(self, folder: pathlib.Path):
        super().__init__()
        self.folder = folder

    @classmethod
    def for_run(cls, report_dir: pathlib.Path, board: str, dataset: str, split: str, model_hash: str) -> "RunReport":
        dataset = pathlib.Path(dataset).name if os.path.isdir(dataset) else dataset
        return cls(pathlib.Path(report_dir) / slug(f"{board}-{dataset}-{split}-{model_hash}"))

    def write(self) -> dict:
        return report.write_report(self.folder, self)

    def summary_lines(self) -> list[str]:
        return report.summary_lines(self)


def run_section(port: str, target, model, board_info: dict, report_folder: pathlib.Path, emulated_ports) -> dict:
    """The report's `run` section: which board, which model, which firmware; paths relative to the repository."""
    clock = float(board_info.get("clock_hz", 0)) or None
    return {
        "port": port, "board": board_info.get("board"), "cpu": board_info.get("cpu"), "clock_hz": clock,
        "cycle_source": board_info.get("cycle_source"), "kernels": board_info.get("kernels"),
        "emulated": target.kind in emulated_ports or board_info.get("cycle_source") == "systick-icount",
        "fake": target.kind == "fake",
        "model_name": model.name, "model_hash": model.hash, "model_folder": repo_relative(model.folder),
        "seq_len": model.seq_len, "started": datetime.datetime.now().isoformat(timespec="seconds"),
        "firmware_elf": repo_relative(target.elf) if target.elf else None, "report_dir": repo_relative(report_folder),
        "device_info": board_info,
    }
