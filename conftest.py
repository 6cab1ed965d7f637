"""Repository-wide pytest policy: in CI (`CI=true`), a firmware or board test that skips is a failure.

Everywhere else a skip of those tests means a tool is missing (the skip names it); in CI every tool is
installed by `.ci/run`, so a skip would hide an untested firmware.
"""

import os

import pytest

# Test files (relative to the repository) whose skips fail a CI run.
FIRMWARE_TESTS = ("tests/test_firmware.py", "tests/test_firmware_deps.py", "tests/test_mlperf_runner.py",
                  "tests/test_board_client_suite.py", "board_tests/")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1", "yes")


def is_firmware_test(nodeid: str) -> bool:
    return nodeid.startswith(FIRMWARE_TESTS)


def _fail_skip(report, nodeid: str) -> None:
    if report.skipped and in_ci() and is_firmware_test(nodeid) and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped in CI (CI=true), where every firmware and board test must run: {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    _fail_skip(outcome.get_result(), item.nodeid)


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    _fail_skip(outcome.get_result(), collector.nodeid)
