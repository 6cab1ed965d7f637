"""The firmware's pinned third-party sources (firmware/deps.lock) and its host-side tools, without a toolchain."""

import os
import pathlib
import re
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
FIRMWARE = REPO / "firmware"
from board_tests import firmware_build, qemu


def lock_entries():
    entries = []
    for line in (FIRMWARE / "deps.lock").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            entries.append(line.split())
    return entries


def test_lock_file_is_well_formed():
    entries = lock_entries()
    names = [e[0] for e in entries]
    assert len(names) == len(set(names))
    assert {"tflite-micro", "cmsis", "cortex_dfp", "cmsis_nn", "flatbuffers", "gemmlowp", "ruy", "kissfft"} <= set(names)
    for name, repo, commit, path, patch in entries:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+", repo), name
        assert re.fullmatch(r"[0-9a-f]{40}", commit), f"{name}: pin a full commit, not {commit!r}"
        assert path == "." or path.startswith("tensorflow/lite/micro/tools/make/downloads/"), name
        assert patch == "-" or not patch.startswith("/"), name


def tflm_tree():
    """The pinned TFLM tree in the cache, fetched (`make -C firmware deps`) when it is missing."""
    firmware_build.require_toolchain_and_deps("qemu")
    out = subprocess.run(["make", "-s", "--no-print-directory", "-C", str(FIRMWARE), "print-tflm"], capture_output=True, text=True)
    return pathlib.Path(out.stdout.strip())


def test_lock_pins_what_the_pinned_tflm_pins():
    """The lock repeats the commits TFLM's own download scripts use (flatbuffers and kissfft: their tags)."""
    tree = tflm_tree()
    make_dir = tree / "tensorflow/lite/micro/tools/make"
    scripts = "".join((make_dir / f).read_text() for f in (
        "ext_libs/cmsis_download.sh", "ext_libs/cmsis_nn_download.sh", "third_party_downloads.inc",
        "flatbuffers_download.sh", "kissfft_download.sh"))
    lock = (FIRMWARE / "deps.lock").read_text()
    for name, repo, commit, path, patch in lock_entries():
        if name == "tflite-micro":
            continue
        if name in ("flatbuffers", "kissfft"):
            tag = re.search(rf"{repo}/archive/refs/tags/(v[\d.]+)\.zip", scripts).group(1)
            assert re.search(rf"{name} {re.escape(tag)} = {commit}", lock), f"{name}: TFLM pins tag {tag}"
        else:
            assert commit in scripts, f"{name}: {commit} is not what TFLM pins"
        if patch != "-":
            assert (tree / patch).exists()


def test_qemu_command_line_has_the_measured_flags():
    cmd = qemu.qemu_command("fw.elf", "qemu", chardev_fd=5)
    text = " ".join(cmd)
    assert "-M mps2-an386" in text
    assert "socket,id=ser0,fd=5,server=on,wait=on,nodelay=on" in text
    assert "shift=0,align=off,sleep=off" in text
    assert "enable=on,target=native" in text
    assert "-M netduinoplus2" in " ".join(qemu.qemu_command("fw.elf", "qemu_stm32"))
    nucleo = " ".join(qemu.qemu_command("fw.elf", "nucleo_f429zi", chardev_fd=5))
    assert "-M netduinoplus2 " in nucleo and "-serial null -serial null -chardev socket" in nucleo
    with pytest.raises(ValueError):
        qemu.qemu_command("fw.elf", "nano33ble")


def test_size_script_fails_when_the_image_does_not_fit(tmp_path):
    """scripts/size.py against a fake `size` and `nm`: the verdict and the split code / model / arena."""
    size_tool = tmp_path / "size"
    size_tool.write_text("#!/bin/sh\necho 'section size addr'\necho '.text 500000 0'\necho '.data 100 536870912'\n"
                         "echo '.bss 300000 536871012'\necho '.stack 16384 537171012'\n")
    nm_tool = tmp_path / "nm"
    nm_tool.write_text("#!/bin/sh\necho '00010000 00060000 R g_model_data'\necho '00070000 0000a000 R kTokMergeKeys'\n"
                       "echo '20000100 00040000 b runner::(anonymous namespace)::g_arena'\n")
    for tool in (size_tool, nm_tool):
        tool.chmod(0o755)

    def run(ram):
        return subprocess.run([sys.executable, str(FIRMWARE / "scripts/size.py"), "--elf", "x", "--board", "b",
                               "--flash", "1048576", "--ram", str(ram), "--size-tool", str(size_tool),
                               "--nm-tool", str(nm_tool)], capture_output=True, text=True)

    ok = run(1 << 20)
    assert ok.returncode == 0, ok.stderr
    assert re.search(r"code\s+65824\s+model\s+393216\s+tokenizer tables\s+40960", ok.stdout)
    assert re.search(r"arena\s+262144", ok.stdout)
    too_small = run(256 * 1024)
    assert too_small.returncode == 1 and "do not fit" in too_small.stderr


def _fake_bin(folder, **scripts):
    folder.mkdir()
    for name, body in scripts.items():
        (folder / name).write_text(f"#!/bin/sh\n{body}\n")
        (folder / name).chmod(0o755)
    return folder


def test_deps_before_the_python_environment_says_the_exact_command(tmp_path):
    """TFLM's make imports numpy and PIL: without a venv that has them, `deps` stops before fetching anything."""
    fake = _fake_bin(tmp_path / "bin", python3="exit 1")
    env = {**os.environ, "PATH": f"{fake}:{os.environ['PATH']}", "FW_CACHE": str(tmp_path / "cache")}
    r = subprocess.run(["make", "-C", str(FIRMWARE), "deps", "PY_BIN="], capture_output=True, text=True, env=env,
                       timeout=60)
    assert r.returncode != 0
    assert (f"firmware: TFLM's build needs python3 with numpy and Pillow, and there is no project venv yet: run "
            f"'make -C {REPO} setup' (creates .venv), then 'make -C firmware deps' again") in r.stderr
    assert not (tmp_path / "cache").exists()


def test_ci_fails_when_the_system_packages_cannot_be_installed(tmp_path):
    """.ci/run as root on a machine without the ARM toolchain, where apt-get fails: CI stops, it does not skip."""
    if os.getuid() != 0:
        pytest.skip("the install step runs only as root")
    tools = {name: f'exec /usr/bin/{name} "$@"' for name in ("dirname", "id")}
    fake = _fake_bin(tmp_path / "bin", **{"apt-get": "echo 'E: Unable to locate package' >&2; exit 100"}, **tools)
    r = subprocess.run(["/bin/bash", str(REPO / ".ci" / "run")], capture_output=True, text=True, timeout=60,
                       env={"PATH": str(fake), "HOME": str(tmp_path)})
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stderr.strip().splitlines()[-1] == ("ci: could not install gcc-arm-none-eabi libnewlib-arm-none-eabi "
                                                 "libstdc++-arm-none-eabi-newlib qemu-system-arm git: the firmware "
                                                 "tests cannot run")


def resolver_methods_by_op(header: str) -> dict[str, set[str]]:
    """{builtin op: the MicroMutableOpResolver methods registering it}, read from TFLM's header."""
    starts = [(m.start(), m.group(1)) for m in re.finditer(r"TfLiteStatus (Add\w+)\(", header)]
    methods: dict[str, set[str]] = {}
    for (start, name), (end, _) in zip(starts, starts[1:] + [(len(header), "")]):
        registered = re.search(r"AddBuiltin\(\s*BuiltinOperator_(\w+)", header[start:end])
        if registered:
            methods.setdefault(registered.group(1), set()).add(name)
    return methods


def test_generated_resolver_calls_are_the_pinned_tflms():
    """Each op the converter can emit a resolver call for is registered, by that method, in the pinned TFLM."""
    from convert.c_sources import KNOWN_TFLM_OPS, resolver_method

    header = (tflm_tree() / "tensorflow/lite/micro/micro_mutable_op_resolver.h").read_text()
    methods = resolver_methods_by_op(header)
    assert methods["DEPTHWISE_CONV_2D"] == {"AddDepthwiseConv2D"}  # the parse itself
    wrong = {op: (resolver_method(op), sorted(methods.get(op, ()))) for op in sorted(KNOWN_TFLM_OPS)
             if resolver_method(op) not in methods.get(op, ())}
    assert not wrong, f"op: (our method, the pinned TFLM's): {wrong}"


def test_elf_path_inside_a_sub_make(monkeypatch):
    # `make -C firmware bench` runs bench.py, which asks make for the ELF path from inside a sub-make
    firmware_build.require_toolchain_and_deps("qemu")
    monkeypatch.setenv("MAKELEVEL", "1")
    monkeypatch.setenv("MAKEFLAGS", "w")
    elf = firmware_build.elf_path("qemu", REPO / "build" / "model")
    assert elf.name == "firmware.elf" and elf.is_absolute(), elf
