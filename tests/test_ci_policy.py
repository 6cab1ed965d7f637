"""The repository's test policy (conftest.py at the root): in CI a firmware or board test that skips fails."""

import os
import pathlib
import shutil
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture
def project(tmp_path):
    """A copy of the root conftest with one skipping firmware test and one skipping host test."""
    shutil.copy(REPO / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "board_tests").mkdir()
    (tmp_path / "board_tests" / "test_board.py").write_text(
        "import pytest\n\ndef test_needs_qemu():\n    pytest.skip('qemu-system-arm not found on PATH')\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_host.py").write_text(
        "import pytest\n\ndef test_needs_data():\n    pytest.skip('SNIPS not found')\n")
    return tmp_path


def _pytest(folder, ci):
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci:
        env["CI"] = "true"
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", str(folder)],
                       cwd=folder, capture_output=True, text=True, env=env, timeout=120)
    return r.returncode, r.stdout + r.stderr


def test_outside_ci_a_skip_stays_a_skip(project):
    rc, out = _pytest(project, ci=False)
    assert rc == 0, out
    assert "2 skipped" in out


def test_in_ci_a_skipped_firmware_test_fails_naming_the_reason(project):
    rc, out = _pytest(project, ci=True)
    assert rc == 1, out
    assert "1 failed, 1 skipped" in out
    assert ("skipped in CI (CI=true), where every firmware and board test must run: "
            "Skipped: qemu-system-arm not found on PATH") in out
