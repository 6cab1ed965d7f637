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
from keras_models.paths import REPO_ROOT

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


@pytest.fixture(scope="module")
def firmware_core(tmp_path_factory):
    """The core linked with the stand-ins: a program that reads the host's bytes on stdin, replies on stdout."""
    if shutil.which("g++") is None:
        pytest.skip("g++ not found")
    folder = tmp_path_factory.mktemp("firmware-host")
    for name, text in STUBS.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text.replace("@LOGITS@", ", ".join(map(str, LOGITS))))
    settings = {"name": "host-test", "hash": "0badf00d", "model_bytes": 1234, "seq_len": L, "vocab_size": V,
                "num_outputs": C, "output_scale": 0.1, "output_zero_point": 0, "host_arena_bytes": 1, "arena_bytes": 1}
    (folder / "model_settings.h").write_text(model_settings(settings, ["a", "b", "c"], "test"))
    sources = [SRC / "app.cc", SRC / "serial_out.cc", SRC / "crc32.cc", SRC / "profiler.cc", folder / "harness.cc"]
    exe = folder / "core"
    build = subprocess.run(["g++", "-std=c++17", "-O1", "-Wall", "-Wextra", "-Werror", "-I", str(SRC), "-I", str(folder),
                            *map(str, sources), "-o", str(exe)], capture_output=True, text=True)
    assert build.returncode == 0, build.stderr[-3000:]
    return exe


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
    assert boot == ["m-boot-host"] and name == ["m-name-[embbert-q]"] and empty == []
    assert info[:2] == ["m-info-protocol=1", "m-info-board=host"] and "m-info-model_hash=0badf00d" in info
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
    assert name == ["m-name-[embbert-q]"] and status == 0


def test_rejected_load_keeps_the_previous_input_and_no_input_is_an_error(firmware_core):
    (_, no_input, load, bad, infer), _ = talk(firmware_core, ["infer 1 0", "load 2 00020005", "load 2 0002ffff",
                                                              "infer 1 0"])
    assert no_input == ["e-[no input loaded]"] and bad[0].startswith("e-[token id 65535 at position 1")
    assert parse_infer(infer, 1).crc_input == parse_load(load)[1] == input_crc([2, 5], L)


def test_line_of_exactly_the_buffer_is_parsed_one_more_is_too_long(firmware_core):
    fits = "name" + " " * (line_max(L) - 4)
    (_, ok, long), _ = talk(firmware_core, [fits, fits + " "])
    assert ok == ["m-name-[embbert-q]"] and long == [f"e-[line too long (max {line_max(L)} characters)]"]


def test_line_ends_and_tabs_are_not_part_of_commands(firmware_core):
    (_, load), _ = talk(firmware_core, ["\r\nload\t1\t0002\n"])
    assert parse_load(load) == (1, input_crc([2], L))


def test_model_not_ready_is_reported_once_at_boot_and_for_each_model_command(firmware_core):
    (boot, name, load, infer, profile), _ = talk(firmware_core, ["name", "load 1 0002", "infer 1 0", "profile"],
                                                 env={"INIT_ERROR": "allocate tensors failed"})
    assert boot == ["m-boot-host", "e-[model not ready: allocate tensors failed]"]
    assert name == ["m-name-[embbert-q]"]
    assert load == infer == profile == ["e-[model not ready: allocate tensors failed]"]


def test_fault_command_executes_an_undefined_instruction(firmware_core):
    _, status = talk(firmware_core, ["fault"])
    assert status < 0 and -status in (4, 5)  # SIGILL (or SIGTRAP where the trap is a breakpoint)


def test_settings_header_is_the_converters(firmware_core):
    text = (firmware_core.parent / "model_settings.h").read_text()
    assert json.dumps("host-test") in text and f"kSeqLen = {L};" in text
