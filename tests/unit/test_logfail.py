"""The suite's own rule: a WARNING or ERROR log line a test did not declare fails it."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

INNER = """
import logging
import pytest

def test_logs_a_warning_it_does_not_declare():
    logging.getLogger("kiosk.flow.controller").warning("printer gone")

@pytest.mark.expect_log("kiosk.flow")
def test_declares_the_logger():
    logging.getLogger("kiosk.flow.controller").warning("printer gone")

@pytest.mark.expect_log("kiosk.voice")
def test_declares_another_logger():
    logging.getLogger("kiosk.flow.controller").error("printer gone")

def test_logs_only_info():
    logging.getLogger("kiosk.flow.controller").info("printed")
"""


# The inner run is in this process: its log lines reach this test's own recorder too.
@pytest.mark.expect_log("kiosk.flow")
def test_an_undeclared_warning_fails_and_a_declared_one_passes(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(INNER)
    pytester.makeini("[pytest]\nmarkers =\n    expect_log: expected log lines\n")
    result = pytester.runpytest_inprocess("-p", "tests.support.logfail", "-p", "no:randomly")
    result.assert_outcomes(passed=4, errors=2)
    result.stdout.fnmatch_lines(["*unexpected log lines in *test_logs_a_warning_it_does_not*"])
    result.stdout.fnmatch_lines(["*unexpected log lines in *test_declares_another_logger*"])
