"""Host unit tests of the firmware's protocol core: `firmware/src/app.cc` (command parsing, replies, errors),
`serial_out.cc` and `crc32.cc`, compiled with the host's g++ against stand-ins for the board port and the
model runner (no TFLM, no toolchain, no QEMU). The bad commands are the table the fake board and the board
suite share, so that the firmware, the fake and the client agree on every message."""

import json
import os
import shutil
import subprocess
import zlib

import numpy as np
import pytest

from board_tests.bad_commands import bad_commands
from board_tests.protocol import encode_load, input_crc, line_max, output_crc, parse_infer, parse_load
from convert.c_sources import model_settings
from convert.tokenizer_tables import write_tokenizer_source
from keras_models.paths import REPO_ROOT, TOKENIZER_PATH

SRC = REPO_ROOT / "firmware" / "src"
L, V, C = 16, 8192, 3
LOGITS = [-128, 7, 127]  # what the stand-in model answers

# Stand-ins: the two TFLM headers the core includes, the board port (stdin/stdout), the model runner.
STUBS = {
    "tensorflow/lite/micro/cortex_m_generic/debug_log_callback.h": """
#pragma once
extern "C" {
typedef void (*DebugLogCallback)(const char* s);
void RegisterDebugLogCallback(DebugLogCallback callback);
}
""",
    "tensorflow/lite/micro/micro_profiler_interface.h": """
#pragma once
#include <cstdint>
namespace tflite {
class MicroProfilerInterface {
 public:
  virtual ~MicroProfilerInterface() = default;
  virtual uint32_t BeginEvent(const char* tag) = 0;
  virtual void EndEvent(uint32_t event_handle) = 0;
};
}  // namespace tflite
""",
    "harness.cc": """
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "app.h"
#include "board.h"
#include "crc32.h"
#include "model_runner.h"
#include "model_settings.h"
#include "stack_paint.h"
#include "tensorflow/lite/micro/cortex_m_generic/debug_log_callback.h"

extern "C" void RegisterDebugLogCallback(DebugLogCallback) {}

const BoardInfo kBoardInfo = {"host", "x86", 1000000u, "fake"};
void board_init() {}
void board_putc(char c) { std::putchar(c); }
int board_getc() { return std::getchar(); }
void board_cycles_reset() {}
uint64_t board_cycles() { return 4242; }
BoardMemory board_memory() { return BoardMemory{0, 8192, 1000, 2000}; }
void board_halt(int status) { std::exit(status); }
uint32_t stack_used(uintptr_t, uintptr_t) { return 512; }

namespace runner {
namespace {
int32_t g_ids[kSeqLen];
bool g_loaded = false;
const int8_t kLogits[] = {@LOGITS@};
FixedProfiler g_profiler;
}  // namespace
const char* init() { return init_error(); }
const char* init_error() { return std::getenv("INIT_ERROR"); }
uint32_t set_input(const uint16_t* ids, int n) {
  for (int i = 0; i < kSeqLen; ++i) g_ids[i] = i < n ? ids[i] : kPadId;
  g_loaded = true;
  return prepare_input();
}
bool has_input() { return g_loaded; }
void clear_input() { g_loaded = false; }
uint32_t prepare_input() { return crc32(g_ids, sizeof(g_ids)); }
bool invoke() { return true; }
const int8_t* logits() { return kLogits; }
int num_logits() { return kNumClasses; }
size_t arena_size() { return 4096; }
size_t arena_used() { return 1024; }
FixedProfiler& profiler() { return g_profiler; }
}  // namespace runner

int main() {
  app_init();
  for (int c; (c = std::getchar()) != EOF;) app_feed(static_cast<char>(c));
  std::fflush(stdout);
  return 0;
}
""",
}


SETTINGS = {"name": "host-test", "hash": "0badf00d", "model_bytes": 1234, "seq_len": L, "vocab_size": V,
            "num_outputs": C, "output_scale": 0.1, "output_zero_point": 0, "host_arena_bytes": 1, "arena_bytes": 1}


def build_core(folder, settings):
    """The core linked with the stand-ins: a program that reads the host's bytes on stdin, replies on stdout."""
    if shutil.which("g++") is None:
        pytest.skip("g++ not found")
    for name, text in STUBS.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text.replace("@LOGITS@", ", ".join(map(str, LOGITS))))
    (folder / "model_settings.h").write_text(model_settings(settings, ["a", "b", "c"], "test"))
    write_tokenizer_source(folder, TOKENIZER_PATH)
    tokenizer = [SRC / f"{name}.cc" for name in ("text_command", "text_tokenizer", "text_normalizer", "bpe_merge",
                                                 "utf8_decoder", "token_packer")]
    sources = [SRC / "app.cc", SRC / "command_args.cc", SRC / "mlperf_commands.cc", SRC / "serial_out.cc",
               SRC / "crc32.cc", SRC / "profiler.cc", folder / "harness.cc", *tokenizer, folder / "tokenizer_data.cc"]
    exe = folder / "core"
    build = subprocess.run(["g++", "-std=c++17", "-O1", "-Wall", "-Wextra", "-Werror", "-I", str(SRC), "-I", str(folder),
                            *map(str, sources), "-o", str(exe)], capture_output=True, text=True)
    assert build.returncode == 0, build.stderr[-3000:]
    return exe


@pytest.fixture(scope="module")
def firmware_core(tmp_path_factory):
    return build_core(tmp_path_factory.mktemp("firmware-host"), SETTINGS)


def talk(exe, commands: list[str], env: dict | None = None) -> tuple[list[list[str]], int]:
    """Each command (with `%`) in turn; returns the lines of each reply (boot first), and the exit status."""
    data = "".join(c + "%" for c in commands).encode("latin-1")
    run = subprocess.run([str(exe)], input=data, capture_output=True, timeout=30, env={**os.environ, **(env or {})})
    replies, current = [], []
    for line in run.stdout.decode("latin-1").split("\r\n"):
        if line == "m-ready":
            replies.append(current)
            current = []
        elif line:
            current.append(line)
    if current:
        replies.append(current)
    return replies, run.returncode


def test_boot_banner_and_commands(firmware_core):
    ids = [2, 100, 8191, 4, 0, 0]
    replies, status = talk(firmware_core, ["name", "", "info", encode_load(ids), "infer 3 2", "mem"])
    assert status == 0
    boot, name, empty, info, load, infer, mem = replies
    assert boot == ["m-boot-host"] and name == ["m-name-dut-[embbert-q]"] and empty == []
    assert info[:2] == ["m-info-protocol=2", "m-info-board=host"] and "m-info-model_hash=0badf00d" in info
    assert f"m-info-seq_len={L}" in info and f"m-info-vocab={V}" in info and f"m-info-classes={C}" in info
    assert parse_load(load) == (4, input_crc(ids, L))
    res = parse_infer(infer, runs=3)  # checks that every run is there and the logits match their CRC
    assert res.logits == LOGITS and res.cycles == [4242] * 3 and res.crc_input == input_crc(ids, L)
    assert res.crc_output == output_crc(LOGITS) == f"{zlib.crc32(np.int8(LOGITS).tobytes()):08x}"
    assert mem == ["m-mem-arena_size=4096", "m-mem-arena_used=1024", "m-mem-stack_size=8192", "m-mem-stack_used=512",
                   "m-mem-static_ram=1000", "m-mem-flash_used=2000", "m-mem-model_bytes=1234"]


def test_crc32_is_zlibs_on_the_longest_input(firmware_core):
    ids = list(range(V - L, V))
    (_, load, infer), _ = talk(firmware_core, [encode_load(ids), "infer 1 0"])
    want = f"{zlib.crc32(np.asarray(ids, '<i4').tobytes()):08x}"
    assert parse_load(load) == (L, want) and parse_infer(infer, 1).crc_input == want


@pytest.mark.parametrize("command,message", bad_commands(L, V), ids=lambda v: repr(v)[:24])
def test_bad_commands_get_the_shared_messages(firmware_core, command, message):
    (_, load, reply, name), status = talk(firmware_core, ["load 1 0002", command, "name"])
    assert reply == [f"e-[{message}]"]
    assert name == ["m-name-dut-[embbert-q]"] and status == 0


def test_a_rejected_load_leaves_no_input(firmware_core):
    (_, no_input, load, bad, infer, reload, infer2), _ = talk(
        firmware_core, ["infer 1 0", "load 2 00020005", "load 2 0002ffff", "infer 1 0", "load 2 00020005", "infer 1 0"])
    assert no_input == infer == ["e-[no input loaded]"] and bad[0].startswith("e-[token id 65535 at position 1")
    assert parse_infer(infer2, 1).crc_input == parse_load(reload)[1] == input_crc([2, 5], L)


def test_line_of_exactly_the_buffer_is_parsed_one_more_is_too_long(firmware_core):
    fits = "name" + " " * (line_max(L) - 4)
    (_, ok, long), _ = talk(firmware_core, [fits, fits + " "])
    assert ok == ["m-name-dut-[embbert-q]"] and long == [f"e-[line too long (max {line_max(L)} characters)]"]


def test_line_ends_and_tabs_are_not_part_of_commands(firmware_core):
    (_, load), _ = talk(firmware_core, ["\r\nload\t1\t0002\n"])
    assert parse_load(load) == (1, input_crc([2], L))


def test_model_not_ready_is_reported_once_at_boot_and_for_each_model_command(firmware_core):
    (boot, name, load, infer, profile), _ = talk(firmware_core, ["name", "load 1 0002", "infer 1 0", "profile-ops"],
                                                 env={"INIT_ERROR": "allocate tensors failed"})
    assert boot == ["m-boot-host", "e-[model not ready: allocate tensors failed]"]
    assert name == ["m-name-dut-[embbert-q]"]
    assert load == infer == profile == ["e-[model not ready: allocate tensors failed]"]


def test_fault_command_executes_an_undefined_instruction(firmware_core):
    _, status = talk(firmware_core, ["fault"])
    assert status < 0 and -status in (4, 5)  # SIGILL (or SIGTRAP where the trap is a breakpoint)


def test_settings_header_is_the_converters(firmware_core):
    text = (firmware_core.parent / "model_settings.h").read_text()
    assert json.dumps("host-test") in text and f"kSeqLen = {L};" in text


def test_settings_header_says_how_long_texts_are_cut():
    assert "constexpr int kKeepHead = -1;" in model_settings(SETTINGS, ["a"], "test")
    assert "constexpr int kKeepHead = -1;" in model_settings({**SETTINGS, "keep_head": None}, ["a"], "test")
    assert "constexpr int kKeepHead = 0;" in model_settings({**SETTINGS, "keep_head": 0}, ["a"], "test")
    assert "constexpr int kKeepHead = 32;" in model_settings({**SETTINGS, "keep_head": 32}, ["a"], "test")


# --- text commands (the tokenizer's own checks against Hugging Face are tests/test_firmware_tokenizer.py) ----

def _host_ids(texts, pairs=None, keep_head=None):
    from keras_models.tokenizer import encode, load_tokenizer

    ids, _ = encode(load_tokenizer(), texts, L, pairs, keep_head)
    return [[int(t) for t in row[: max((i + 1 for i, t in enumerate(row) if t), default=1)]] for row in ids]


def _talk_utf8(exe, commands):
    data = b"".join(c.encode("utf-8", "surrogateescape") + b"%" for c in commands)
    run = subprocess.run([str(exe)], input=data, capture_output=True, timeout=30)
    return [r.split("\r\n")[:-1] for r in run.stdout.decode("utf-8").split("m-ready\r\n")][1:-1]


def test_classify_replies_tokens_label_logits_and_cycles_and_sets_the_input(firmware_core):
    from board_tests.text_commands import parse_text_reply, text_command

    text, first, second = "Play some Jazz, 50% louder | now", "A man is sleeping.", "Nobody sleeps [SEP] ever, not in this house, not at night, never"
    classify, pair, infer = _talk_utf8(firmware_core, [text_command("classify", text),
                                                       text_command("classify", first, second), "infer 1 0"])
    (want,), (want_pair,) = _host_ids([text]), _host_ids([first], [second])
    r = parse_text_reply(classify, infer=True)
    assert (r.tokens, r.label, r.logits, r.infer_cycles) == (want, "c", LOGITS, 4242)
    assert classify[0] == "m-tokens=" + ",".join(map(str, want)) and classify[1] == "m-label-[c]"
    assert parse_text_reply(pair, infer=True).tokens == want_pair and len(want_pair) == L  # truncated to L
    assert parse_infer(infer, 1).crc_input == input_crc(want_pair, L)  # the pair is the current input


def test_tokenize_keeps_the_input_and_text_may_be_longer_than_the_line_buffer(firmware_core):
    from board_tests.text_commands import parse_text_reply, text_command

    long_text = "word " * 1000 + "%"
    load, tok, infer = _talk_utf8(firmware_core, ["load 2 00020005", text_command("tokenize", long_text), "infer 1 0"])
    assert parse_text_reply(tok, infer=False).tokens == _host_ids([long_text])[0]
    assert parse_infer(infer, 1).crc_input == parse_load(load)[1] == input_crc([2, 5], L)


def test_text_commands_keep_head_and_tail_with_keep_head(tmp_path):
    from board_tests.text_commands import parse_text_reply, text_command

    exe = build_core(tmp_path, {**SETTINGS, "keep_head": 5})
    text = " ".join(f"{word} {i}," for i, word in enumerate(["alpha", "beta", "gamma", "delta"] * 40))
    first, second = "A man is sleeping.", text  # the second text alone is longer than L
    tok, pair = _talk_utf8(exe, [text_command("tokenize", text), text_command("tokenize", first, second)])
    want = _host_ids([text], keep_head=5)[0]
    assert want != _host_ids([text])[0] and len(want) == L
    assert parse_text_reply(tok, infer=False).tokens == want
    assert parse_text_reply(pair, infer=False).tokens == _host_ids([first], [second])[0]  # pairs ignore it


@pytest.mark.parametrize("command,message", [
    ("tokenize I said \u0416!", "unsupported character U+0416 at byte 7 of the text"),
    ("classify caf\udcc3(", "invalid UTF-8 at byte 4 of the text"),
    ("tokenize-pair fine|ok \U0002A6D6", "unsupported character U+2A6D6 at byte 3 of the second text"),
    ("tokenize " + "a" * 600, "word longer than 512 characters at byte 512 of the text"),
    ("classify-pair no separator", "a pair needs two texts separated by an unescaped '|'"),
    ("tokenize-pair a|b|c", "a pair takes exactly one unescaped '|'"),
    ("classify", "missing text: <command> <text>% or <command>-pair <first>|<second>%"),
    ("tokenize-pair", "missing text: <command> <text>% or <command>-pair <first>|<second>%"),
], ids=lambda v: repr(v)[:24])
def test_bad_text_gets_its_error_and_the_board_keeps_serving(firmware_core, command, message):
    reply, name = _talk_utf8(firmware_core, [command, "name"])
    assert reply == [f"e-[{message}]"] and name == ["m-name-dut-[embbert-q]"]


def test_classify_before_the_model_is_ready_is_an_error(firmware_core):
    data = "classify hello%tokenize hello%".encode()
    run = subprocess.run([str(firmware_core)], input=data, capture_output=True, timeout=30,
                         env={**os.environ, "INIT_ERROR": "allocate tensors failed"})
    boot, classify, tokenize = run.stdout.decode().split("m-ready\r\n")[:3]
    assert classify == "e-[model not ready: allocate tensors failed]\r\n"
    assert tokenize.startswith("m-tokens=2,")
def test_mlperf_runner_commands(firmware_core):
    """The runner's load (`db`, 16-bit little-endian ids in 31-byte chunks), `infer N W` markers, `results`."""
    ids = [2, 300, 8191, 4] + [0] * (L - 4)
    data = np.asarray(ids, "<u2").tobytes()
    chunks = [f"db {data[i:i + 31].hex()}" for i in range(0, len(data), 31)]
    replies, status = talk(firmware_core, ["profile", "timestamp", f"db load {len(data)}", *chunks, "db print",
                                           "infer 3 2", "results", "timestamp", "infer 1", "help"])
    assert status == 0
    profile, stamp0, expecting, *loads = replies[1:4 + len(chunks)]
    printed, infer, results, stamp1, infer_default, help_lines = replies[4 + len(chunks):]
    assert profile == ["m-profile-[EmbBERT-Q firmware protocol 2]", "m-model-[host-test]"]
    assert stamp0 == ["m-lap-us-0"] and expecting == [f"m-[Expecting {2 * L} bytes]"]
    assert all(r == [] for r in loads[:-1])
    assert loads[-1] == ["m-load-done", f"m-load-count={L}", f"m-load-crc={input_crc(ids, L)}"]
    assert printed[0] == "m-buffer-02-00-2c-01-ff-1f-04-00" and len(printed) == 2 * L // 8
    want = np.exp(0.1 * np.asarray(LOGITS, float) - 0.1 * max(LOGITS))
    results_line = "m-results-[" + ",".join(f"{p:.6f}" for p in want / want.sum()) + "]"
    assert infer[:7] == ["m-warmup-start-2", "m-warmup-done", "m-infer-start-3", "m-lap-us-0",
                         f"m-lap-us-{3 * 4242}", "m-infer-done", results_line]  # 4242 cycles a run at 1 MHz
    assert parse_infer(infer, 3).cycles == [4242] * 3 and "m-runs-cycles-total=12726" in infer
    assert results == [results_line] and stamp1 == [f"m-lap-us-{3 * 4242}"]
    assert infer_default[0] == "m-warmup-start-10"
    assert help_lines[0] == "m-help-EmbBERT-Q firmware protocol 2"


def test_a_rejected_db_load_leaves_no_input(firmware_core):
    (_, load, start, bad, infer, results), _ = talk(
        firmware_core, ["load 1 0002", "db load 4", "db 02zz", "infer 1 0", "results"])
    assert start == ["m-[Expecting 4 bytes]"] and bad == ["e-[db: bad hex digit at offset 2]"]
    assert infer == ["e-[no input loaded]"] and results == ["e-[no results: run infer first]"]
