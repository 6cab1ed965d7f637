"""The firmware's pinned third-party sources (firmware/deps.lock) and its host-side tools, without a toolchain."""

import pathlib
import re
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
FIRMWARE = REPO / "firmware"
from board_tests import qemu


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
    out = subprocess.run(["make", "-s", "-C", str(FIRMWARE), "print-tflm"], capture_output=True, text=True)
    tree = pathlib.Path(out.stdout.strip()) if out.returncode == 0 else None
    if tree is None or not (tree / ".deps-ok").exists():
        pytest.skip("firmware dependency cache missing (make -C firmware deps)")
    return tree


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
    nm_tool.write_text("#!/bin/sh\necho '00010000 00060000 R g_model_data'\n"
                       "echo '20000100 00040000 b runner::(anonymous namespace)::g_arena'\n")
    for tool in (size_tool, nm_tool):
        tool.chmod(0o755)

    def run(ram):
        return subprocess.run([sys.executable, str(FIRMWARE / "scripts/size.py"), "--elf", "x", "--board", "b",
                               "--flash", "1048576", "--ram", str(ram), "--size-tool", str(size_tool),
                               "--nm-tool", str(nm_tool)], capture_output=True, text=True)

    ok = run(1 << 20)
    assert ok.returncode == 0, ok.stderr
    assert re.search(r"code\s+106784\s+model\s+393216", ok.stdout)
    assert re.search(r"arena\s+262144", ok.stdout)
    too_small = run(256 * 1024)
    assert too_small.returncode == 1 and "do not fit" in too_small.stderr


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
