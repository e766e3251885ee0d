"""An unexpected WARNING or ERROR log line fails the test, as pytest-qt fails one on a Qt
warning: a failure the kiosk logs but the test did not look for is a failure of the test.

A test that provokes one on purpose says so: ``@pytest.mark.expect_log("kiosk.flow")``
allows warnings from those loggers (and their children); ``@pytest.mark.expect_log()``
allows any (a test of the logging itself, or of a failure logged from many places).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest


class _Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _allowed(record: logging.LogRecord, loggers: list[str] | None) -> bool:
    if loggers is None:
        return True
    return any(record.name == name or record.name.startswith(name + ".") for name in loggers)


@pytest.fixture(autouse=True)
def fail_on_unexpected_log(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail the test on a WARNING or ERROR log line it did not declare."""
    recorder = _Recorder()
    root = logging.getLogger()
    root.addHandler(recorder)
    try:
        yield
    finally:
        root.removeHandler(recorder)
    loggers: list[str] | None = []
    for marker in request.node.iter_markers("expect_log"):
        if not marker.args:
            loggers = None
            break
        assert loggers is not None
        loggers.extend(str(name) for name in marker.args)
    unexpected = [r for r in recorder.records if not _allowed(r, loggers)]
    if unexpected:
        lines = "\n".join(f"  {r.levelname} {r.name}: {r.getMessage()}" for r in unexpected)
        pytest.fail(
            f"unexpected log lines in {request.node.nodeid} (mark the test expect_log if "
            f"meant):\n{lines}"
        )
