"""pytest plugin of the on-device suite: command-line options, the `board` fixture, the run's report.

    pytest board_tests/ --port /dev/ttyACM0            # a real board
    pytest board_tests/ --port qemu --dataset snips    # builds the firmware, starts QEMU, evaluates there
    pytest board_tests/ --port qemu --model emotion    # a shipped task's model, converted if needed
    pytest board_tests/ --port socket://127.0.0.1:4321 # any board or emulator already running
    pytest board_tests/ --port fake                    # the pure-Python fake board (no firmware needed)

Fixtures (all session-scoped): `opts` (the options), `model` (the converter output the board must run),
`target` (where the board is: URL, emulated or not, QEMU process, ELF), `board` (a connected
`BoardClient`), `examples` (the dataset split, tokenized on the host), `host_model` (host TFLM
interpreter), `run_report` (the report, written at the end of the session into
`<report-dir>/<board>-<task>-<split>-<hash>/`).
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import pathlib
import time

import pytest

from board_tests.artifacts import REPO, HostModel, ModelArtifacts
from board_tests.client import BoardClient, BoardError, BoardGone
from board_tests.run_report import RunReport, run_section
from board_tests.targets import QEMU_PORTS, BuildOptions, TargetUnavailable, open_target

SUMMARY_KEY = pytest.StashKey[list]()
DEFAULT_LIMIT_WITHOUT_DATASET = 32


def pytest_addoption(parser):
    g = parser.getgroup("board", "on-device evaluation (board_tests)")
    g.addoption("--port", default=os.environ.get("BOARD_PORT", "qemu"),
                help="serial device (/dev/ttyACM0), pyserial URL (socket://host:port), 'qemu' or 'qemu_stm32' "
                     "(build the firmware and start QEMU), or 'fake' (pure-Python board). Default: qemu")
    g.addoption("--baud", type=int, default=115200, help="baud rate (default 115200)")
    g.addoption("--dataset", default=None,
                help="task name (snips, glue/cola, ... from ../shared/data), a local folder, or hub:<name>. "
                     f"Default: the model's own task, first {DEFAULT_LIMIT_WITHOUT_DATASET} examples")
    g.addoption("--split", default="validation",
                help="split: validation (seeded 10%% of train, as in training), official_validation, train")
    g.addoption("--limit", type=int, default=None, help="evaluate only the first N examples")
    g.addoption("--runs", type=int, default=10, help="measured inferences for latency (default 10)")
    g.addoption("--warmup", type=int, default=2, help="warm-up inferences before them (default 2)")
    g.addoption("--report-dir", default=str(REPO / "reports"), help="where reports go (default reports/)")
    g.addoption("--model-dir", default=str(REPO / "build" / "model"),
                help="converter output the board must run (default build/model)")
    g.addoption("--model", default=None, metavar="TASK",
                help="a shipped checkpoint by task name (snips, emotion, ...): converted into "
                     "build/models/TASK if needed, and run instead of --model-dir")
    g.addoption("--elf", default=None, help="firmware ELF, for flash / static RAM (qemu: found by the build)")
    g.addoption("--board-timeout", type=float, default=10.0, help="seconds allowed per reply (default 10)")
    g.addoption("--infer-timeout", type=float, default=60.0,
                help="extra seconds allowed per inference (default 60)")
    g.addoption("--write-chunk", type=int, default=0,
                help="send at most N bytes at a time (UARTs without flow control); 0: no limit")
    g.addoption("--write-pause", type=float, default=0.0, help="seconds to pause between chunks")
    g.addoption("--kernels", default=None, help="qemu: firmware kernels to build (fast, cmsis_nn or reference)")
    g.addoption("--arena", type=int, default=None, help="qemu: build with this TFLM arena size (make ARENA=...)")
    g.addoption("--no-build", action="store_true", help="qemu: do not run make, use the existing image")
    g.addoption("--classify-limit", type=int, default=16,
                help="text mode: examples the board classifies from their text (default 16; -1: all). "
                     "Every example is tokenized on the board regardless")


# Tests that only the real firmware can answer: the fake board has no tokenizer. On `--port fake` they are
# deselected, not skipped: nothing is missing that a user could install.
FIRMWARE_ONLY = ("test_text.py",)


def pytest_collection_modifyitems(config, items):
    if config.getoption("--port") != "fake":
        return
    firmware_only = [item for item in items if item.path.name in FIRMWARE_ONLY]
    if firmware_only:
        config.hook.pytest_deselected(items=firmware_only)
        items[:] = [item for item in items if item.path.name not in FIRMWARE_ONLY]


def pytest_configure(config):
    if getattr(config.option, "model", None):
        from convert.by_task import converted_model

        try:
            config.option.model_dir = str(converted_model(config.option.model))
        except FileNotFoundError as e:
            raise pytest.UsageError(str(e)) from None


@dataclasses.dataclass
class Options:
    port: str
    baud: int
    dataset: str | None
    split: str
    limit: int | None
    runs: int
    warmup: int
    report_dir: pathlib.Path
    model_dir: pathlib.Path
    elf: pathlib.Path | None
    timeout: float
    infer_timeout: float
    kernels: str | None
    build: bool
    arena: int | None = None
    write_chunk: int = 0
    write_pause: float = 0.0
    classify_limit: int = 16


@pytest.fixture(scope="session")
def opts(pytestconfig) -> Options:
    o = pytestconfig.option
    return Options(port=o.port, baud=o.baud, dataset=o.dataset, split=o.split, limit=o.limit, runs=o.runs,
                   warmup=o.warmup, report_dir=pathlib.Path(o.report_dir), model_dir=pathlib.Path(o.model_dir),
                   elf=pathlib.Path(o.elf) if o.elf else None, timeout=o.board_timeout,
                   infer_timeout=o.infer_timeout, kernels=o.kernels, build=not o.no_build,
                   arena=o.arena, write_chunk=o.write_chunk, write_pause=o.write_pause,
                   classify_limit=o.classify_limit)


@pytest.fixture(scope="session")
def model(opts) -> ModelArtifacts:
    try:
        return ModelArtifacts(opts.model_dir)
    except FileNotFoundError as e:
        pytest.skip(f"no converted model: {e}")


@pytest.fixture(scope="session")
def host_model(model) -> HostModel:
    return HostModel(model.tflite_bytes)


@pytest.fixture(scope="session")
def target(opts, model):
    build = BuildOptions(kernels=opts.kernels, arena=opts.arena, run_make=opts.build)
    from board_tests.firmware_build import BuildFailed

    try:
        with open_target(opts.port, model, log_dir=opts.report_dir, build=build, elf=opts.elf) as t:
            yield t
    except TargetUnavailable as e:  # a tool is missing
        pytest.skip(str(e))
    except BuildFailed as e:  # a failed fetch, compile or link: make's own message
        pytest.fail(f"firmware for {opts.port} failed to build: {e}", pytrace=False)


@pytest.fixture(scope="session")
def serial_log(opts):
    opts.report_dir.mkdir(parents=True, exist_ok=True)
    f = open(opts.report_dir / "serial.log", "a", encoding="utf-8", buffering=1)
    f.write(f"# session {datetime.datetime.now().isoformat(timespec='seconds')} port {opts.port}\n")
    t0 = time.monotonic()

    def log(direction: str, line: str) -> None:
        text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in line[:300])
        f.write(f"{time.monotonic() - t0:10.3f} {direction} {text}\n")

    yield log
    f.close()


@pytest.fixture(autouse=True)
def _mark_test_in_serial_log(request, serial_log):
    """Each test's lines in serial.log follow a `# test <id>` line."""
    serial_log("#", f"test {request.node.nodeid}")
    yield


@pytest.fixture(scope="session")
def board(opts, target, serial_log) -> BoardClient:
    gone = None
    if target.process is not None:  # QEMU: its exit ends the run at once, naming the status or signal
        from board_tests.qemu import exit_reason

        log_path = _shown(opts.report_dir / f"qemu-{target.kind}.log")
        gone = lambda: exit_reason(target.process, log_path)  # noqa: E731
    client = BoardClient(target.url, baud=opts.baud, timeout=opts.timeout, infer_timeout=opts.infer_timeout,
                         write_chunk=opts.write_chunk, write_pause=opts.write_pause, log=serial_log, gone=gone)
    try:
        client.open()
        client.info()
    except BoardGone as e:
        pytest.exit(str(e), returncode=3)
    except BoardError as e:
        pytest.fail(f"no board answering at {target.url}: {e}", pytrace=False)
    yield client
    client.close()


@pytest.fixture(scope="session")
def board_info(board) -> dict:
    return board.info()


@pytest.fixture(scope="session")
def dataset_choice(opts, model) -> tuple[str, int | None]:
    """(dataset, limit): --dataset as given (whole split), or the model's task with a small default limit."""
    if opts.dataset:
        return opts.dataset, opts.limit
    if not model.task:
        pytest.skip("no --dataset given and model_info.json names no task")
    return model.task, opts.limit if opts.limit is not None else DEFAULT_LIMIT_WITHOUT_DATASET


@pytest.fixture(scope="session")
def examples(dataset_choice, opts, model):
    from board_tests.data import load_examples

    dataset, limit = dataset_choice
    try:
        tok = model.tokenizer_path if model.tokenizer_path.exists() else None
        return load_examples(dataset, opts.split, model.seq_len, limit=limit, tokenizer_path=tok,
                             keep_head=model.keep_head)
    except (FileNotFoundError, ValueError, KeyError) as e:
        pytest.fail(f"cannot load {dataset}/{opts.split}: {e}", pytrace=False)


@pytest.fixture(scope="session")
def probe_ids(model, request) -> list[int]:
    """One input for latency, profile and robustness: golden vector 0, else the first dataset example."""
    vectors = model.golden.get("vectors") or []
    if vectors:
        return list(vectors[0]["token_ids"])
    return request.getfixturevalue("examples").token_ids[0].tolist()


@pytest.fixture(scope="session")
def some_examples(model, opts, request):
    """A few real inputs for the robustness tests: the dataset's, else the golden vectors."""
    if opts.dataset or model.task:
        return request.getfixturevalue("examples")
    from board_tests.data import golden_examples

    ex = golden_examples(model.golden)
    if not len(ex):
        pytest.skip("no dataset and no golden vectors to send")
    return ex


@pytest.fixture(scope="session")
def run_report(pytestconfig, opts, target, model, board, board_info):
    dataset = opts.dataset or model.task or "no-dataset"
    rep = RunReport.for_run(opts.report_dir, board_info.get("board", target.kind), dataset, opts.split, model.hash)
    t0 = time.monotonic()
    rep["run"] = run_section(opts.port, target, model, board_info, rep.folder, QEMU_PORTS)
    yield rep
    rep["run"]["wall_s"] = time.monotonic() - t0
    rep["link"] = dict(board.stats)
    rep.write()
    pytestconfig.stash[SUMMARY_KEY] = rep.summary_lines()


def _shown(path) -> str:
    """A path relative to the repository when inside it, as reports show paths."""
    try:
        return str(pathlib.Path(path).resolve().relative_to(REPO))
    except ValueError:
        return str(path)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A board that is gone for good (QEMU exited) fails this test with one line and stops the run."""
    outcome = yield
    report = outcome.get_result()
    if call.excinfo is not None and call.excinfo.errisinstance(BoardGone):
        report.longrepr = f"board gone: {call.excinfo.value}"
        item.session.shouldstop = f"the board is gone, stopping: {call.excinfo.value}"


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    lines = config.stash.get(SUMMARY_KEY, None)
    if lines:
        terminalreporter.section("board report")
        for line in lines:
            terminalreporter.write_line(line)
