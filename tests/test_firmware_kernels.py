"""The firmware's own int8 kernels (firmware/src/kernels/) against TFLite Micro's reference kernels.

firmware/tests/kernels_check.cc runs each kernel and the reference kernel it replaces on random shapes,
values and quantization parameters (odd sizes, depth tails, zero points, clamps) and counts differing
output bytes. It runs twice: built with the host compiler (the kernels' plain C path) and as a QEMU
mps2-an386 image (`make -C firmware kernels-check`: their SMLAD path). Whole models are checked bit for
bit on the boards by tests/test_firmware.py. Needs the firmware's dependency cache (the TFLM tree).
"""

import pathlib
import re
import shutil
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
FIRMWARE = REPO / "firmware"
KERNELS = ["requantize", "mat_mult_nt", "matmul multiplier", "sub multipliers", "depthwise_conv_1d", "add sub mul", "mean", "softmax", "logistic table"]


def _make(*args, timeout=900):
    return subprocess.run(["make", "-s", "-C", str(FIRMWARE), *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def tflm_tree():
    if _make("check-deps").returncode != 0:
        pytest.skip("firmware dependency cache missing: run `make -C firmware deps`")
    return pathlib.Path(_make("print-tflm").stdout.strip())


def assert_all_exact(output):
    for kernel in KERNELS:
        m = re.search(rf"^{kernel}: (\d+) \w+(?:, (\d+) outputs)?, (\d+) differ$", output, re.M)
        assert m, f"no result line for {kernel} in:\n{output}"
        assert int(m.group(1)) > 0 and int(m.group(3)) == 0, m.group(0)
    assert output.rstrip().endswith("kernels: all bit-exact"), output


def test_kernels_match_reference_on_host(tflm_tree, tmp_path):
    if shutil.which("g++") is None:
        pytest.skip("no host g++")
    downloads = tflm_tree / "tensorflow/lite/micro/tools/make/downloads"
    sources = [FIRMWARE / "tests/kernels_check.cc", FIRMWARE / "tests/kernels_check_host.cc",
               *sorted((FIRMWARE / "src/kernels").glob("embbert_*.cc")),
               tflm_tree / "tensorflow/lite/kernels/internal/common.cc",
               tflm_tree / "tensorflow/lite/kernels/internal/quantization_util.cc"]
    exe = tmp_path / "kernels_check"
    cmd = ["g++", "-std=c++17", "-O1", "-DTF_LITE_STATIC_MEMORY", f"-I{FIRMWARE / 'src/kernels'}",
           f"-I{tflm_tree}", f"-I{downloads / 'gemmlowp'}", f"-I{downloads / 'flatbuffers/include'}",
           f"-I{downloads / 'ruy'}", *map(str, sources), "-o", str(exe)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    r = subprocess.run([str(exe)], capture_output=True, text=True, timeout=120)
    print("\n" + r.stdout)
    assert r.returncode == 0, r.stdout
    assert_all_exact(r.stdout)


def test_kernels_match_reference_on_qemu(tflm_tree):
    if shutil.which("arm-none-eabi-g++") is None or shutil.which("qemu-system-arm") is None:
        pytest.skip("arm-none-eabi-g++ or qemu-system-arm not found")
    r = _make("kernels-check", "BOARD=qemu")
    print("\n" + r.stdout)
    assert r.returncode == 0, r.stdout + r.stderr
    assert_all_exact(r.stdout)
