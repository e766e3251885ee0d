"""Audit entries are recorded from the GUI thread; their fsynced commit happens elsewhere."""

from __future__ import annotations

import pathlib
import threading
import time
from typing import Any

from kiosk.offline import audit
from offline_cache.keys import StaticKeyProvider
from offline_cache.outbox import Outbox


class SlowDisk(Outbox):
    """A real outbox whose commits wait until the test lets them through (a busy disk)."""

    def __init__(self, path: pathlib.Path) -> None:
        super().__init__(path, StaticKeyProvider())
        self.release = threading.Event()
        self.threads: list[str] = []

    def enqueue(self, *args: Any, **kwargs: Any) -> Any:
        self.threads.append(threading.current_thread().name)
        self.release.wait(10)
        return super().enqueue(*args, **kwargs)


def test_recording_never_waits_for_the_disk_and_nothing_recorded_is_lost(
    tmp_path: pathlib.Path,
) -> None:
    outbox = SlowDisk(tmp_path / "outbox.sqlite3")
    woken: list[bool] = []
    log = audit.OutboxAuditLog(outbox, lambda: woken.append(True))
    try:
        started = time.monotonic()
        for action in ("session_started", "staff_called", "session_ended"):
            log.record(audit.entry(action, actor="system"))
        assert time.monotonic() - started < 0.5  # the GUI thread went on at once
        assert outbox.stats().size == 0
        outbox.release.set()
        assert log.flush()
        assert outbox.stats().size == 3
        assert set(outbox.threads) == {"kiosk-audit"}
        assert len(woken) == 3  # the sender is told each time
    finally:
        log.close()
        outbox.close()


def test_closing_writes_what_is_still_waiting(tmp_path: pathlib.Path) -> None:
    outbox = SlowDisk(tmp_path / "outbox.sqlite3")
    log = audit.OutboxAuditLog(outbox, lambda: None)
    log.record(audit.entry("session_ended", actor="system"))
    outbox.release.set()
    log.close()
    log.close()  # twice is harmless
    assert outbox.stats().size == 1
    outbox.close()
